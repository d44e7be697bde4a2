//! The commit: mutations of live objects applied in native code, in one hold of the GIL, with no
//! Python code run in between, each recorded in a [`MutationLog`] so the whole refresh can be
//! undone exactly.
//!
//! **Invariant: between the first and the last mutation of a commit no Python bytecode runs.**
//! Only C-level operations are used (`PyObject_SetAttr` on functions and cells, the
//! `type.__setattr__` slot wrapper on classes, which bypasses metaclass overrides, and dict item
//! operations); the garbage collector is paused so no finalizer runs; replaced values stay alive
//! in the log until the refresh is over, so no `__del__` runs either.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use crate::fault;

/// One change to a live object.
#[derive(Debug)]
pub enum Mutation {
    /// `setattr(target, name, value)`; on a class, through `type.__setattr__`.
    SetAttr {
        /// Object to change.
        target: Py<PyAny>,
        /// Attribute name.
        name: Py<PyString>,
        /// New value.
        value: Py<PyAny>,
    },
    /// `delattr(target, name)`; on a class, through `type.__delattr__`.
    DelAttr {
        /// Object to change.
        target: Py<PyAny>,
        /// Attribute name.
        name: Py<PyString>,
    },
    /// `namespace[key] = value` on a dict (a module namespace, a function's `__dict__`).
    SetItem {
        /// The dict.
        dict: Py<PyDict>,
        /// Key.
        key: Py<PyAny>,
        /// New value.
        value: Py<PyAny>,
    },
    /// `del namespace[key]`.
    DelItem {
        /// The dict.
        dict: Py<PyDict>,
        /// Key.
        key: Py<PyAny>,
    },
}

impl Mutation {
    /// Read `("setattr", obj, name, value)`, `("delattr", obj, name)`, `("setitem", dict, key,
    /// value)` or `("delitem", dict, key)`.
    pub fn from_tuple(tuple: &Bound<'_, PyTuple>) -> PyResult<Mutation> {
        let kind: String = tuple.get_item(0)?.extract()?;
        let arity = tuple.len();
        let bad =
            || PyRuntimeError::new_err(format!("invalid mutation {kind:?} with {arity} items"));
        Ok(match (kind.as_str(), arity) {
            ("setattr", 4) => Mutation::SetAttr {
                target: tuple.get_item(1)?.unbind(),
                name: tuple.get_item(2)?.cast_into::<PyString>()?.unbind(),
                value: tuple.get_item(3)?.unbind(),
            },
            ("delattr", 3) => Mutation::DelAttr {
                target: tuple.get_item(1)?.unbind(),
                name: tuple.get_item(2)?.cast_into::<PyString>()?.unbind(),
            },
            ("setitem", 4) => Mutation::SetItem {
                dict: tuple.get_item(1)?.cast_into::<PyDict>()?.unbind(),
                key: tuple.get_item(2)?.unbind(),
                value: tuple.get_item(3)?.unbind(),
            },
            ("delitem", 3) => Mutation::DelItem {
                dict: tuple.get_item(1)?.cast_into::<PyDict>()?.unbind(),
                key: tuple.get_item(2)?.unbind(),
            },
            _ => return Err(bad()),
        })
    }
}

/// How to put one mutated place back.
#[derive(Debug)]
enum Undo {
    /// Restore an attribute (`None`: it was absent from the class's own dict).
    Attr {
        target: Py<PyAny>,
        name: Py<PyString>,
        old: Option<Py<PyAny>>,
    },
    /// Restore a dict entry (`None`: the key was absent).
    Item {
        dict: Py<PyDict>,
        key: Py<PyAny>,
        old: Option<Py<PyAny>>,
    },
}

/// What a commit changed, in order, with the previous values: enough to undo it exactly. Holding
/// the log keeps replaced objects alive.
#[pyclass(module = "limeade._native")]
#[derive(Debug, Default)]
pub struct MutationLog {
    undo: Vec<Undo>,
    rolled_back: bool,
}

#[pymethods]
impl MutationLog {
    /// Put every mutated place back as it was before the commit, newest first.
    pub fn rollback(&mut self, py: Python<'_>) -> PyResult<()> {
        if self.rolled_back {
            return Ok(());
        }
        self.rolled_back = true;
        let paused = pause_gc(py)?;
        let result = undo_all(py, &mut self.undo);
        resume_gc(py, paused)?;
        result
    }

    /// Number of mutations recorded.
    fn __len__(&self) -> usize {
        self.undo.len()
    }
}

fn is_type(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyType>()
}

/// `type.__setattr__` / `type.__delattr__`: C slot wrappers, so a metaclass `__setattr__` written
/// in Python is not run.
fn type_slot<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.get_type::<PyType>().getattr(name)
}

/// A class's own entry for `name` (not an inherited one).
fn own_class_attr<'py>(
    cls: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let dict = cls.getattr("__dict__")?;
    let value = dict.call_method1("get", (name,))?;
    // A class attribute can legitimately be None only if present; check presence explicitly.
    if value.is_none() && !dict.contains(name)? {
        return Ok(None);
    }
    Ok(Some(value))
}

fn set_attr(
    py: Python<'_>,
    target: &Bound<'_, PyAny>,
    name: &Bound<'_, PyString>,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    if is_type(target) {
        type_slot(py, "__setattr__")?.call1((target, name, value))?;
        Ok(())
    } else {
        target.setattr(name, value)
    }
}

fn del_attr(py: Python<'_>, target: &Bound<'_, PyAny>, name: &Bound<'_, PyString>) -> PyResult<()> {
    if is_type(target) {
        type_slot(py, "__delattr__")?.call1((target, name))?;
        Ok(())
    } else {
        target.delattr(name)
    }
}

/// Attributes of a class kept in the type object itself, not in its `__dict__`.
const TYPE_SLOTS: [&str; 3] = ["__bases__", "__name__", "__qualname__"];

fn current_attr<'py>(
    target: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let in_type_object = name
        .to_cow()
        .is_ok_and(|n| TYPE_SLOTS.contains(&n.as_ref()));
    if is_type(target) && !in_type_object {
        own_class_attr(target, name)
    } else {
        match target.getattr(name) {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyAttributeError>(target.py()) => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

fn apply_one(py: Python<'_>, mutation: &Mutation, log: &mut Vec<Undo>) -> PyResult<()> {
    if let Some(index) = fault::should_fail() {
        return Err(PyRuntimeError::new_err(format!(
            "limeade test hook: injected failure at mutation {index}"
        )));
    }
    match mutation {
        Mutation::SetAttr {
            target,
            name,
            value,
        } => {
            let (target, name) = (target.bind(py), name.bind(py));
            let old = current_attr(target, name)?;
            set_attr(py, target, name, value.bind(py))?;
            log.push(Undo::Attr {
                target: target.clone().unbind(),
                name: name.clone().unbind(),
                old: old.map(Bound::unbind),
            });
        }
        Mutation::DelAttr { target, name } => {
            let (target, name) = (target.bind(py), name.bind(py));
            let old = current_attr(target, name)?;
            del_attr(py, target, name)?;
            log.push(Undo::Attr {
                target: target.clone().unbind(),
                name: name.clone().unbind(),
                old: old.map(Bound::unbind),
            });
        }
        Mutation::SetItem { dict, key, value } => {
            let (dict, key) = (dict.bind(py), key.bind(py));
            let old = dict.get_item(key)?;
            dict.set_item(key, value.bind(py))?;
            log.push(Undo::Item {
                dict: dict.clone().unbind(),
                key: key.clone().unbind(),
                old: old.map(Bound::unbind),
            });
        }
        Mutation::DelItem { dict, key } => {
            let (dict, key) = (dict.bind(py), key.bind(py));
            let old = dict.get_item(key)?;
            if old.is_some() {
                dict.del_item(key)?;
            }
            log.push(Undo::Item {
                dict: dict.clone().unbind(),
                key: key.clone().unbind(),
                old: old.map(Bound::unbind),
            });
        }
    }
    Ok(())
}

fn undo_all(py: Python<'_>, undo: &mut Vec<Undo>) -> PyResult<()> {
    let mut first_error = None;
    while let Some(entry) = undo.pop() {
        let result = match &entry {
            Undo::Attr { target, name, old } => {
                let (target, name) = (target.bind(py), name.bind(py));
                match old {
                    Some(old) => set_attr(py, target, name, old.bind(py)),
                    None => match current_attr(target, name) {
                        Ok(Some(_)) => del_attr(py, target, name),
                        Ok(None) => Ok(()),
                        Err(e) => Err(e),
                    },
                }
            }
            Undo::Item { dict, key, old } => {
                let (dict, key) = (dict.bind(py), key.bind(py));
                match old {
                    Some(old) => dict.set_item(key, old.bind(py)),
                    None => match dict.contains(key) {
                        Ok(true) => dict.del_item(key),
                        Ok(false) => Ok(()),
                        Err(e) => Err(e),
                    },
                }
            }
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn pause_gc(py: Python<'_>) -> PyResult<bool> {
    let gc = py.import("gc")?;
    let enabled: bool = gc.call_method0("isenabled")?.extract()?;
    if enabled {
        gc.call_method0("disable")?;
    }
    Ok(enabled)
}

fn resume_gc(py: Python<'_>, was_enabled: bool) -> PyResult<()> {
    if was_enabled {
        py.import("gc")?.call_method0("enable")?;
    }
    Ok(())
}

/// Apply `mutations` in order. On the first failure everything this commit did is undone and the
/// error is returned: the live objects are exactly as before.
pub fn commit(py: Python<'_>, mutations: &[Mutation]) -> PyResult<MutationLog> {
    let paused = pause_gc(py)?;
    let mut undo = Vec::with_capacity(mutations.len());
    let mut failure = None;
    for mutation in mutations {
        if let Err(e) = apply_one(py, mutation, &mut undo) {
            failure = Some(e);
            break;
        }
    }
    if let Some(error) = failure {
        let undo_result = undo_all(py, &mut undo);
        resume_gc(py, paused)?;
        if let Err(undo_error) = undo_result {
            error.set_cause(py, Some(undo_error));
        }
        return Err(error);
    }
    resume_gc(py, paused)?;
    Ok(MutationLog {
        undo,
        rolled_back: false,
    })
}
