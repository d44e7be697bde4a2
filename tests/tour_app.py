"""The application of the new user's tour (``test_tour.py``): a little shop package, and the
harness that edits it step by step while it runs and compares it with a fresh start.

The package ``shop`` (seven modules, relative imports only, so a copy imports under any name):
``config`` (constants, feature flags), ``models`` (dataclasses, an Enum, a pydantic model),
``plugins`` (a registry filled by ``__init_subclass__``), ``pricing`` (``functools`` decorators and
caches, defaults reading config), ``service`` (a class holding state), ``web`` (the entry point a
server loop calls: ``handle(request) -> dict``) and ``__init__`` re-exporting.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import limeade
from conftest import Live

SOURCES = {
    "shop": '''
        """A little shop."""

        from .models import Customer, Item, Order, Status
        from .service import Service
        from .web import handle

        __all__ = ["Customer", "Item", "Order", "Service", "Status", "handle"]
        ''',
    "shop.config": '''
        """Settings of the shop."""

        TIMEOUT = 5
        CURRENCY = "EUR"
        TAX_RATE = 0.2
        FEATURES = {"loyalty": False}
        ''',
    "shop.models": '''
        """The shop's data."""

        import enum
        from dataclasses import dataclass, field

        from pydantic import BaseModel, field_validator


        class Status(enum.Enum):
            NEW = "new"
            PAID = "paid"

            def label(self):
                return self.value.upper()


        @dataclass
        class Item:
            sku: str
            price: float
            qty: int = 1

            def total(self):
                return round(self.price * self.qty, 2)


        @dataclass
        class Order:
            customer: str
            items: list = field(default_factory=list)
            status: Status = Status.NEW

            def add(self, item):
                self.items.append(item)
                return self


        class Coupon:
            def __init__(self, code):
                self.code = code


        class Customer(BaseModel):
            name: str
            email: str

            @field_validator("email")
            @classmethod
            def check_email(cls, value):
                if "@" not in value:
                    raise ValueError("bad email")
                return value.lower()

            def greeting(self):
                return f"Hello {self.name}"
        ''',
    "shop.plugins": '''
        """Price adjustments, registered by subclassing Plugin."""


        class Plugin:
            registry = {}

            def __init_subclass__(cls, name=None, **kwargs):
                super().__init_subclass__(**kwargs)
                Plugin.registry[name or cls.__name__.lower()] = cls

            def apply(self, amount):
                return amount


        class Rounding(Plugin, name="rounding"):
            def apply(self, amount):
                return round(amount, 2)


        class Bulk(Plugin, name="bulk"):
            threshold = 100

            def apply(self, amount):
                if amount >= self.threshold:
                    return round(amount * 0.9, 2)
                return amount


        def active():
            return [cls() for name, cls in sorted(Plugin.registry.items())]
        ''',
    "shop.pricing": '''
        """Prices, taxes, shipping."""

        import functools

        from .config import TAX_RATE, TIMEOUT

        CALLS = []


        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                CALLS.append(fn.__name__)
                return fn(*args, **kwargs)

            return wrapper


        @functools.lru_cache(maxsize=None)
        def tax(amount):
            return round(amount * TAX_RATE, 2)


        @logged
        def price(item):
            subtotal = item.total()
            return round(subtotal + tax(subtotal), 2)


        def shipping(weight, timeout=TIMEOUT):
            return {"cost": round(weight * 2.5, 2), "timeout": timeout}


        def discount(amount, pct=0):
            return round(amount * (1 - pct / 100), 2)
        ''',
    "shop.service": '''
        """The shop's state and operations."""

        import functools

        from .config import CURRENCY, FEATURES
        from .models import Order, Status
        from .plugins import active
        from .pricing import price, tax


        class Service:
            name = "shop"

            def __init__(self):
                self.cache = {}
                self.orders = []
                self.listeners = []

            def on_order(self, fn):
                self.listeners.append(fn)
                return fn

            def quote(self, item):
                amount = price(item)
                for plugin in active():
                    amount = plugin.apply(amount)
                return amount

            def place(self, customer, *items):
                order = Order(customer)
                for item in items:
                    order.add(item)
                self.orders.append(order)
                for listener in self.listeners:
                    listener(order)
                return order

            def pay(self, order):
                order.status = Status.PAID
                return order

            def register(self, customer):
                self.cache[customer.email] = customer
                return customer

            def legacy_report(self):
                return [order.customer for order in self.orders]

            @property
            def revenue(self):
                return round(sum(self.quote(i) for o in self.orders for i in o.items), 2)

            @functools.singledispatchmethod
            def describe_value(self, value):
                return f"value {value}"

            @describe_value.register
            def _(self, value: int):
                return f"int {value}"

            @staticmethod
            def currency():
                return CURRENCY

            @classmethod
            def from_orders(cls, orders):
                service = cls()
                service.orders.extend(orders)
                return service
        ''',
    "shop.web": '''
        """The entry point: a server loop calls handle(request) for every request."""

        import dataclasses

        from .config import CURRENCY, FEATURES, TIMEOUT
        from .models import Customer, Item, Status
        from .plugins import Plugin, active
        from .pricing import price, shipping
        from .service import Service

        SERVICE = Service()
        ROUTES = {}
        AUDIT = []
        STARTED = []


        def route(path):
            def register(fn):
                ROUTES[path] = fn
                return fn

            return register


        def make_formatter(currency):
            def fmt(amount):
                return f"{amount:.2f} {currency}"

            return fmt


        def make_sorter(attr):
            return lambda orders: sorted(orders, key=lambda o: getattr(o, attr))


        FORMAT = make_formatter(CURRENCY)
        BY_CUSTOMER = make_sorter("customer")


        @SERVICE.on_order
        def audit(order):
            AUDIT.append(order.customer)


        @route("/quote")
        def quote(request):
            item = Item(request["sku"], request["price"], request.get("qty", 1))
            total = SERVICE.quote(item)
            return {"total": total, "display": FORMAT(total), "list": price(item)}


        @route("/customer")
        def customer(request):
            c = Customer(name=request["name"], email=request["email"])
            return {"greeting": c.greeting(), "email": c.email}


        @route("/ship")
        def ship(request):
            return shipping(request["weight"])


        @route("/info")
        def info(request):
            return {
                "currency": Service.currency(),
                "timeout": TIMEOUT,
                "features": dict(FEATURES),
                "plugins": sorted(Plugin.registry),
                "active": [type(p).__name__ for p in active()],
                "statuses": [s.value for s in Status],
                "labels": [s.label() for s in Status],
                "item_fields": [f.name for f in dataclasses.fields(Item)],
                "customer_fields": list(Customer.model_fields),
            }


        def handle(request):
            view = ROUTES.get(request["path"])
            if view is None:
                return {"error": "not found"}
            try:
                return view(request)
            except ValueError as e:
                return {"error": type(e).__name__, "detail": str(e)}


        def main():
            STARTED.append("main")
            return handle({"path": "/info"})


        if __name__ == "__main__":
            main()
        ''',
}

#: Requests a server loop would get; the live program must answer them as a fresh start would.
PROBES: list[dict[str, Any]] = [
    {"path": "/quote", "sku": "a", "price": 10.0},
    {"path": "/quote", "sku": "b", "price": 50.0, "qty": 3},
    {"path": "/quote", "sku": "c", "price": 12.34},
    {"path": "/customer", "name": "Ann", "email": "ANN@x.org"},
    {"path": "/customer", "name": "Bob", "email": "bob"},
    {"path": "/ship", "weight": 2},
    {"path": "/info"},
    {"path": "/missing"},
]

_FRESH = iter(range(10**9))


class Objects:
    """Long-lived objects of the running program (attribute bag)."""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"no long-lived object {name!r} (set by an earlier step)")


@dataclass
class Step:
    """One everyday edit: ``edits`` are ``(module, old, new)`` replacements (``old=None``: write
    the whole file ``new``); ``check(tour, report)`` says what the running program must do after
    ``refresh()``. ``before(tour)`` runs before the edit (prime a cache, keep a reference).
    ``raises``: the refresh must fail with that error and change nothing. ``replaced``: globals
    ``(module, name)`` the step rebinds on purpose (every other global keeps its identity)."""

    name: str
    edits: list[tuple[str, Optional[str], str]]
    check: Callable[[Tour, Any], None]
    before: Optional[Callable[[Tour], None]] = None
    raises: Optional[type] = None
    replaced: tuple[tuple[str, str], ...] = ()
    probes: list[dict[str, Any]] = field(default_factory=list)
    xfail: str = ""
    #: Only where this holds (an interpreter version) is the step expected to fail.
    xfail_if: bool = True
    #: Runs after the check, passed or not: puts right by hand what a known limeade gap leaves
    #: behind, so later steps do not depend on it.
    after: Optional[Callable[[Tour], None]] = None


def step_list() -> tuple[list[Step], Callable[..., Any]]:
    """A list of steps and the decorator that declares a check function as the next step."""
    steps: list[Step] = []

    def step(name: str, edits: list[tuple[str, Any, str]], **kw: Any) -> Callable[..., Any]:
        def declare(check: Callable[[Tour, Any], None]) -> Callable[[Tour, Any], None]:
            steps.append(Step(name, edits, check, **kw))
            return check

        return declare

    return steps, step


class Tour:
    """The running shop, its long-lived objects and the steps applied to it so far."""

    def __init__(self, live: Live, fresh_root: Path) -> None:
        self.live = live
        self.fresh_root = fresh_root
        for short, text in SOURCES.items():
            live.write(short, text, package=short == "shop")
        self.pkg = live.load("shop")
        self.o = Objects()
        self.probes = list(PROBES)
        self.applied = 0
        self.kept = self._globals()

    # ------------------------------------------------------------------ access

    def m(self, short: str) -> Any:
        """The live module ``shop.<short>`` (``"shop"``: the package)."""
        return self.live.module(short if short == "shop" else f"shop.{short}")

    def modules(self) -> list[Any]:
        prefix = self.live.name("shop")
        return [m for n, m in sorted(sys.modules.items()) if n.split(".")[0] == prefix]

    # ------------------------------------------------------------------ steps

    def apply(self, step: Step) -> Any:
        """Edit the files, refresh, check identities and the fresh-start answers; returns the
        report (``None`` when the step expects the refresh to fail)."""
        from conftest import snapshot

        self.applied += 1  # first: a step that breaks below is never retried
        if step.before is not None:
            step.before(self)
        before = snapshot(*self.modules())
        for short, old, new in step.edits:
            if old is None:
                self.live.write(short, new)
            else:
                self.live.edit(short, block(old), block(new))
        self.probes.extend(step.probes)
        if step.raises is not None:
            try:
                self.live.refresh()
            except step.raises as e:
                self.error = e
            else:
                raise AssertionError(f"refresh did not raise {step.raises.__name__}")
            assert snapshot(*self.modules()) == before, "a failed refresh changed live objects"
            return None
        report = self.live.refresh()
        self.check_identities(step, report)
        return report

    def _globals(self) -> dict[tuple[str, str], Any]:
        """Every module global that is not a plain immutable value, by (module, name)."""
        out = {}
        for module in self.modules():
            for name, value in vars(module).items():
                if name.startswith("__") or isinstance(
                    value, (int, float, str, bytes, tuple, frozenset, type(None))
                ):
                    continue
                out[(module.__name__, name)] = value
        return out

    def check_identities(self, step: Step, report: Any) -> None:
        """Globals kept across the step are the same objects (only ``step.replaced`` rebound)."""
        now = self._globals()
        replaced = {
            (self.live.name(m if m == "shop" else f"shop.{m}"), n) for m, n in step.replaced
        }
        wrong = [
            key
            for key, value in self.kept.items()
            if key in now and now[key] is not value and key not in replaced
        ]
        missing = [key for key in replaced if key not in now or now[key] is self.kept.get(key)]
        self.kept = now
        assert not wrong, f"rebound although the step did not replace them: {wrong}\n{report}"
        assert not missing, f"expected to be rebound: {missing}\n{report}"

    def fresh_answers(self) -> list[Any]:
        """The answers to the probes of a fresh start of the current sources (a copy of the
        package imported under another name, then forgotten)."""
        name = f"tour_fresh{next(_FRESH)}"
        shutil.copytree(self.live.root / self.live.name("shop"), self.fresh_root / name)
        sys.path.insert(0, str(self.fresh_root))
        importlib.invalidate_caches()
        try:
            package = importlib.import_module(name)
            return [package.handle(dict(p)) for p in self.probes]
        finally:
            sys.path.remove(str(self.fresh_root))
            names = [n for n in sys.modules if n.split(".")[0] == name]
            for n in names:
                del sys.modules[n]
            limeade.untrack(*names)

    def live_answers(self) -> list[Any]:
        return [self.o.handle(dict(p)) for p in self.probes]

    def assert_like_fresh_start(self) -> None:
        live, fresh = self.live_answers(), self.fresh_answers()
        diff = [(p, a, b) for p, a, b in zip(self.probes, live, fresh) if a != b]
        assert not diff, "live answers differ from a fresh start:\n" + "\n".join(
            f"  {p}\n    live:  {a}\n    fresh: {b}" for p, a, b in diff
        )


def block(text: str) -> str:
    """An edit's text as written in ``test_tour.py``: a string starting with a newline is a block
    whose lines are indented by 12 spaces there (the newline and that indentation are dropped)."""
    if not text.startswith("\n"):
        return text
    lines = text[1:].split("\n")
    assert all(not ln.strip() or ln.startswith(" " * 12) for ln in lines), text
    return "\n".join(ln[12:] for ln in lines)


def changed(report: Any, module: str, qualname: str) -> list[str]:
    """The kinds of the report's changes to ``qualname`` of ``shop.<module>``."""
    return [c.kind for c in report.changes if c.module.endswith(module) and c.qualname == qualname]


def replaced_names(report: Any) -> list[str]:
    return [q for m in report.modules for q, _why in m.replaced]
