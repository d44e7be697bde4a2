//! Plan data handed to Python as dicts and lists (through `pythonize`), with every dict key
//! and every word of the plan's fixed vocabulary shared (one string object per value, from a
//! cache of its own): a refresh of 500 modules hands over tens of thousands of dicts, and a
//! fresh string object per key (`"qualname"`, `"status"`...) was most of what it allocated in
//! Python, the peak the process keeps afterwards as arenas it cannot give back (see
//! `benches/memory_bench.py`).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyFrozenSet, PyMapping, PyString};
use pythonize::{PythonizeMappingType, PythonizeTypes, PythonizeUnnamedMappingAdapter};

/// Fields whose values are words of the plan's vocabulary (a bounded set, never user names):
/// shared like the keys.
const VOCABULARY_FIELDS: [&str; 5] = ["execution", "action", "kind", "status", "type"];

/// `pythonize` types: plain dicts and lists, keys and vocabulary words shared.
pub(crate) struct Interned;

impl PythonizeTypes for Interned {
    type Map = InternedDict;
    type NamedMap = PythonizeUnnamedMappingAdapter<InternedDict>;
    type List = pyo3::types::PyList;
}

/// A dict built with shared keys (see the module docs).
pub(crate) struct InternedDict;

impl PythonizeMappingType for InternedDict {
    type Builder<'py> = Bound<'py, PyDict>;

    fn builder<'py>(py: Python<'py>, _len: Option<usize>) -> PyResult<Self::Builder<'py>> {
        Ok(PyDict::new(py))
    }

    fn push_item<'py>(
        builder: &mut Self::Builder<'py>,
        key: Bound<'py, PyAny>,
        value: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let Ok(key) = key.cast::<PyString>() else {
            return builder.set_item(key, value);
        };
        let key = shared(key)?;
        let value = match value.cast::<PyString>() {
            Ok(word) if is_vocabulary_field(&key)? => shared(word)?.into_any(),
            _ => value,
        };
        builder.set_item(key, value)
    }

    fn finish<'py>(builder: Self::Builder<'py>) -> PyResult<Bound<'py, PyMapping>> {
        Ok(builder.into_mapping())
    }
}

/// The strings already handed over, each its own key: a dict lookup (a hash and a compare in
/// C) finds the one object of a value. Only dict keys and vocabulary words go in: a bounded
/// set, kept for the life of the process.
static SHARED: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// The string equal to `s` handed over first (`s` itself when it is the first).
fn shared<'py>(s: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyString>> {
    let py = s.py();
    let cache = SHARED.get_or_init(py, || PyDict::new(py).unbind()).bind(py);
    if let Some(found) = cache.get_item(s)? {
        return Ok(found.cast_into::<PyString>()?);
    }
    cache.set_item(s, s)?;
    Ok(s.clone())
}

/// [`VOCABULARY_FIELDS`] as a set of strings.
static VOCABULARY: PyOnceLock<Py<PyFrozenSet>> = PyOnceLock::new();

/// Whether the values of field `key` are words of the plan's vocabulary.
fn is_vocabulary_field(key: &Bound<'_, PyString>) -> PyResult<bool> {
    let py = key.py();
    let fields = VOCABULARY.get_or_try_init(py, || {
        PyFrozenSet::new(py, VOCABULARY_FIELDS).map(Bound::unbind)
    })?;
    fields.bind(py).contains(key)
}
