"""Steps of the new user's tour (``test_tour.py``), first half: functions, methods, class
attributes and plugins, constants and defaults, modules, decorators."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import snapshot
from tour_app import Tour, changed, replaced_names, step_list

STEPS, step = step_list()


# ---------------------------------------------------------------------- functions


@step(
    "comment_only",
    [("shop.pricing", "def tax(amount):", "def tax(amount):  # pure: cached")],
    before=lambda t: setattr(t.o, "snapshot", snapshot(*t.modules())),
)
def _(t: Tour, report: Any) -> None:
    assert not report, report
    assert snapshot(*t.modules()) == t.o.snapshot
    assert t.m("pricing").tax(10.0) == 2.0


@step(
    "function_body_behind_decorator",
    [("shop.pricing", "subtotal + tax(subtotal), 2)", "subtotal + tax(subtotal) + 0.5, 2)")],
)
def _(t: Tour, report: Any) -> None:
    assert changed(report, "pricing", "price") == ["body"]
    assert t.o.quote(t.o.item) == 12.5
    calls = t.m("pricing").CALLS
    n = len(calls)
    assert t.m("service").price(t.o.item) == 12.5
    assert calls[n:] == ["price"], "the logging wrapper must still run"


def _prime_tax(t: Tour) -> None:
    t.o.tax = t.m("pricing").tax
    assert t.o.tax(12.34) == 2.47


@step(
    "lru_cache_function_body",
    [("shop.pricing", "round(amount * TAX_RATE, 2)", "round(amount * TAX_RATE, 1)")],
    before=_prime_tax,
)
def _(t: Tour, report: Any) -> None:
    assert t.m("pricing").tax is t.o.tax and t.m("service").tax is t.o.tax
    assert t.o.tax(12.34) == 2.5, "a result cached before the edit survived"


@step(
    "function_added",
    [
        (
            "shop.pricing",
            "def discount(",
            """
            def bundle(items):
                return round(sum(price(item) for item in items), 2)


            def discount(""",
        )
    ],
)
def _(t: Tour, report: Any) -> None:
    assert changed(report, "pricing", "bundle") == ["added"]
    items = [t.o.item, t.m("models").Item("b", 50.0, 3)]
    assert t.m("pricing").bundle(items) == 12.5 + 180.5


@step(
    "import_changed_and_method_added",
    [
        (
            "shop.service",
            "from .pricing import price, tax",
            "from .pricing import bundle, price, tax",
        ),
        (
            "shop.service",
            "    def legacy_report(self):",
            """
                def total(self, order):
                    return bundle(order.items)

                def legacy_report(self):""",
        ),
    ],
)
def _(t: Tour, report: Any) -> None:
    t.o.bundle = t.m("pricing").bundle
    assert t.m("service").bundle is t.o.bundle
    assert t.o.svc.total(t.o.order) == 12.5
    assert t.o.other.total(t.o.order) == 12.5


@step(
    "function_removed",
    [
        (
            "shop.pricing",
            """


            def discount(amount, pct=0):
                return round(amount * (1 - pct / 100), 2)
            """,
            "",
        )
    ],
)
def _(t: Tour, report: Any) -> None:
    assert not hasattr(t.m("pricing"), "discount")
    assert "removed" in changed(report, "pricing", "discount")


def _keep_shipping(t: Tour) -> None:
    t.o.shipping = t.m("pricing").shipping


@step(
    "function_renamed_and_importer_follows",
    [
        ("shop.pricing", "def shipping(weight", "def shipping_cost(weight"),
        ("shop.web", "import price, shipping\n", "import price, shipping_cost\n"),
        ("shop.web", "return shipping(request", "return shipping_cost(request"),
    ],
    before=_keep_shipping,
)
def _(t: Tour, report: Any) -> None:
    pricing, web = t.m("pricing"), t.m("web")
    assert pricing.shipping_cost is t.o.shipping and web.shipping_cost is t.o.shipping
    assert t.o.shipping.__name__ == "shipping_cost"
    assert not hasattr(pricing, "shipping") and not hasattr(web, "shipping")
    assert t.o.handle({"path": "/ship", "weight": 2}) == {"cost": 5.0, "timeout": 5}


# ---------------------------------------------------------------------- methods


@step(
    "method_body",
    [
        (
            "shop.models",
            "    def add(self, item):\n",
            """
                def add(self, item):
                    if item.qty <= 0:
                        raise ValueError(f"quantity must be positive: {item.sku}")
            """,
        )
    ],
)
def _(t: Tour, report: Any) -> None:
    with pytest.raises(ValueError, match="quantity must be positive: z"):
        t.o.order_add(t.m("models").Item("z", 1.0, 0))
    assert len(t.o.order.items) == 1


@step(
    "method_added",
    [
        (
            "shop.models",
            "        return self\n",
            """
                    return self

                def count(self):
                    return sum(item.qty for item in self.items)
            """,
        )
    ],
)
def _(t: Tour, report: Any) -> None:
    assert t.o.order.count() == 1
    assert changed(report, "models", "Order.count") == ["added"]


@step(
    "method_removed",
    [
        (
            "shop.service",
            """
                def legacy_report(self):
                    return [order.customer for order in self.orders]

            """,
            "",
        )
    ],
)
def _(t: Tour, report: Any) -> None:
    assert not hasattr(t.o.svc, "legacy_report")
    assert "legacy_report" not in vars(t.m("service").Service)


@step(
    "method_renamed_and_caller_follows",
    [
        ("shop.models", "def add(self, item):", "def add_item(self, item):"),
        ("shop.service", "order.add(item)", "order.add_item(item)"),
    ],
)
def _(t: Tour, report: Any) -> None:
    Order = t.m("models").Order
    assert Order.add_item is t.o.add_fn and not hasattr(Order, "add")
    assert t.o.add_fn.__name__ == "add_item"
    assert t.o.order_add.__func__ is t.o.add_fn
    bob = t.o.svc.place("bob", t.m("models").Item("c", 2.0))
    assert [i.sku for i in bob.items] == ["c"] and t.m("web").AUDIT[-1] == "bob"


@step("staticmethod_body", [("shop.service", "return CURRENCY\n", "return CURRENCY.lower()\n")])
def _(t: Tour, report: Any) -> None:
    assert t.o.currency() == "eur" and t.m("service").Service.currency() == "eur"


@step(
    "classmethod_body",
    [
        (
            "shop.service",
            "service.orders.extend(orders)\n",
            'service.orders.extend(orders)\n        service.cache["imported"] = len(orders)\n',
        )
    ],
)
def _(t: Tour, report: Any) -> None:
    made = t.o.from_orders([t.o.order])
    assert made.cache == {"imported": 1} and made.orders == [t.o.order]


@step(
    "property_body",
    [
        (
            "shop.service",
            "return round(sum(self.quote(i) for o in self.orders for i in o.items), 2)",
            "return int(round(sum(self.quote(i) for o in self.orders for i in o.items) * 100))",
        )
    ],
)
def _(t: Tour, report: Any) -> None:
    svc = t.o.svc
    expected = round(sum(svc.quote(i) for o in svc.orders for i in o.items) * 100)
    assert svc.revenue == expected and isinstance(svc.revenue, int)
    assert t.o.revenue_prop.fget(svc) == expected


# ---------------------------------------------------------------------- class attributes, plugins


@step("class_attribute_changed", [("shop.plugins", "threshold = 100", "threshold = 50")])
def _(t: Tour, report: Any) -> None:
    assert t.o.bulk.threshold == 50
    # 60 + tax 12.0 + fee 0.5 = 72.5, over the threshold: -10 %
    assert t.o.quote(t.m("models").Item("d", 60.0)) == 65.25


@step(
    "class_attribute_added_and_read",
    [
        ("shop.plugins", "    registry = {}\n", "    registry = {}\n    enabled = True\n"),
        (
            "shop.plugins",
            "sorted(Plugin.registry.items())]",
            "sorted(Plugin.registry.items()) if cls.enabled]",
        ),
    ],
)
def _(t: Tour, report: Any) -> None:
    assert t.o.bulk.enabled is True
    assert [type(p).__name__ for p in t.m("plugins").active()] == ["Bulk", "Rounding"]


@step(
    "class_attribute_added_to_subclass",
    [("shop.plugins", "threshold = 50\n", "threshold = 50\n    enabled = False\n")],
)
def _(t: Tour, report: Any) -> None:
    assert t.o.bulk.enabled is False and t.o.rounding.enabled is True
    assert t.o.quote(t.m("models").Item("d", 60.0)) == 72.5


@step(
    "plugin_class_added",
    [
        ("shop.plugins", '"""\n', '"""\n\nfrom .config import FEATURES\n'),
        (
            "shop.plugins",
            "def active():",
            '''
            class Loyalty(Plugin, name="loyalty"):
                """One off for loyal customers."""

                def apply(self, amount):
                    return round(amount - 1, 2) if FEATURES["loyalty"] else amount


            def active():''',
        ),
    ],
)
def _(t: Tour, report: Any) -> None:
    plugins = t.m("plugins")
    assert plugins.Plugin.registry is t.o.registry
    assert sorted(t.o.registry) == ["bulk", "loyalty", "rounding"]
    assert t.o.registry["loyalty"] is plugins.Loyalty
    assert [type(p).__name__ for p in plugins.active()] == ["Loyalty", "Rounding"]


# ---------------------------------------------------------------------- constants and defaults


@step(
    "feature_flag_dict_changed",
    [("shop.config", 'FEATURES = {"loyalty": False}', 'FEATURES = {"loyalty": True}')],
    replaced=(
        ("config", "FEATURES"),
        ("plugins", "FEATURES"),
        ("service", "FEATURES"),
        ("web", "FEATURES"),
    ),
)
def _(t: Tour, report: Any) -> None:
    config = t.m("config")
    for short in ("plugins", "service", "web"):
        assert t.m(short).FEATURES is config.FEATURES, short
    assert t.o.quote(t.o.item) == 11.5


@step(
    "constant_changed_importers_and_default",
    [("shop.config", "TIMEOUT = 5", "TIMEOUT = 10")],
)
def _(t: Tour, report: Any) -> None:
    for short in ("config", "pricing", "web"):
        assert t.m(short).TIMEOUT == 10, short
    assert t.o.handle({"path": "/info"})["timeout"] == 10
    assert t.o.shipping(2) == {"cost": 5.0, "timeout": 10}


@step(
    "default_changed",
    [("shop.pricing", "timeout=TIMEOUT)", "timeout=TIMEOUT * 2)")],
)
def _(t: Tour, report: Any) -> None:
    assert t.o.shipping(2) == {"cost": 5.0, "timeout": 20}
    assert t.o.shipping.__defaults__ == (20,)


@step(
    "constant_read_by_lru_cached_function",
    [("shop.config", "TAX_RATE = 0.2", "TAX_RATE = 0.25")],
)
def _(t: Tour, report: Any) -> None:
    assert t.m("pricing").TAX_RATE == 0.25
    # tax(10.0) was cached at 2.0 by earlier quotes; a fresh start says 2.5
    assert t.o.tax(10.0) == 2.5
    assert t.m("pricing").price(t.o.item) == 13.0


# ---------------------------------------------------------------------- modules


SHIPPING = '''
    """Shipping zones."""

    ZONES = {"eu": 1.0, "world": 2.5}


    def zones():
        return sorted(ZONES)
    '''


@step(
    "module_added",
    [
        ("shop.shipping", None, SHIPPING),
        (
            "shop.web",
            "from .service import Service\n",
            "from .service import Service\nfrom .shipping import zones\n",
        ),
        (
            "shop.web",
            '@route("/info")',
            """
            @route("/zones")
            def zone_list(request):
                return {"zones": zones()}


            @route("/info")""",
        ),
    ],
    probes=[{"path": "/zones"}],
)
def _(t: Tour, report: Any) -> None:
    assert t.o.handle({"path": "/zones"}) == {"zones": ["eu", "world"]}
    assert t.m("web").zones is t.m("shipping").zones


@step(
    "function_moved_to_other_module",
    [
        (
            "shop.pricing",
            """


            def shipping_cost(weight, timeout=TIMEOUT * 2):
                return {"cost": round(weight * 2.5, 2), "timeout": timeout}
            """,
            "",
        ),
        ("shop.pricing", "import TAX_RATE, TIMEOUT", "import TAX_RATE"),
        (
            "shop.shipping",
            'ZONES = {"eu": 1.0, "world": 2.5}\n',
            """
            from .config import TIMEOUT

            ZONES = {"eu": 1.0, "world": 2.5}


            def shipping_cost(weight, timeout=TIMEOUT * 2):
                return {"cost": round(weight * 2.5, 2), "timeout": timeout}
            """,
        ),
        ("shop.web", "import price, shipping_cost\n", "import price\n"),
        ("shop.web", "import zones\n", "import shipping_cost, zones\n"),
    ],
    replaced=(("web", "shipping_cost"),),
)
def _(t: Tour, report: Any) -> None:
    pricing, shipping, web = t.m("pricing"), t.m("shipping"), t.m("web")
    assert not hasattr(pricing, "shipping_cost") and not hasattr(pricing, "TIMEOUT")
    assert web.shipping_cost is shipping.shipping_cost
    assert t.o.handle({"path": "/ship", "weight": 2}) == {"cost": 5.0, "timeout": 20}


# ---------------------------------------------------------------------- decorators


@step(
    "decorator_added",
    [("shop.pricing", "def bundle(items):", "@logged\ndef bundle(items):")],
    replaced=(("pricing", "bundle"), ("service", "bundle")),
)
def _(t: Tour, report: Any) -> None:
    calls = t.m("pricing").CALLS
    n = len(calls)
    assert t.m("service").bundle([t.o.item]) == 13.0
    assert calls[n:] == ["bundle", "price"]
    n = len(calls)
    assert t.o.svc.total(t.o.order) == 13.0 and calls[n:] == ["bundle", "price"]
    if "bundle" not in replaced_names(report):
        n = len(calls)
        t.o.bundle([t.o.item])
        assert calls[n:] == ["bundle", "price"], "old reference not logged, not reported replaced"


@step(
    "decorator_removed",
    [("shop.pricing", "@logged\ndef price(item):", "def price(item):")],
    replaced=(("pricing", "price"), ("service", "price"), ("web", "price")),
)
def _(t: Tour, report: Any) -> None:
    calls = t.m("pricing").CALLS
    n = len(calls)
    assert t.m("service").price(t.o.item) == 13.0 and t.m("web").price(t.o.item) == 13.0
    assert t.m("service").price is t.m("pricing").price is t.m("web").price
    assert calls[n:] == []
    if "price" not in replaced_names(report):
        t.o.price(t.o.item)
        assert calls[n:] == [], "old reference still logs, not reported replaced"


@step(
    "decorator_arguments_changed",
    [("shop.pricing", "@functools.lru_cache(maxsize=None)", "@functools.lru_cache(maxsize=256)")],
    replaced=(("pricing", "tax"), ("service", "tax")),
)
def _(t: Tour, report: Any) -> None:
    pricing = t.m("pricing")
    assert pricing.tax.cache_info().maxsize == 256
    assert t.m("service").tax is pricing.tax
    assert "tax" in replaced_names(report), report
    assert pricing.tax(10.0) == 2.5


@step(
    "lru_cache_added",
    [
        ("shop.shipping", '"""Shipping zones."""\n', '"""Shipping zones."""\n\nimport functools\n'),
        ("shop.shipping", "def zones():", "@functools.lru_cache(maxsize=None)\ndef zones():"),
    ],
    replaced=(("shipping", "zones"), ("web", "zones")),
)
def _(t: Tour, report: Any) -> None:
    web = t.m("web")
    assert web.zones is t.m("shipping").zones and web.zones.cache_info().hits == 0
    assert t.o.handle({"path": "/zones"}) == {"zones": ["eu", "world"]}
