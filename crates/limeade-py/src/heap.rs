//! The refresh's heap search, in one native loop: live functions (closures made before the
//! refresh, wrappers) whose code object is one the refresh replaces. A Python loop over
//! `gc.get_objects()` costs tens of milliseconds on a large heap; this costs a few.

use std::collections::HashSet;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyType};

/// The objects of `objects` (what `gc.get_objects()` returned) that are exactly of
/// `function_type` (`types.FunctionType`) and whose `__code__` is one of `codes` (code objects'
/// `id()`s), in heap order.
#[pyfunction]
pub fn functions_with_code<'py>(
    py: Python<'py>,
    objects: &Bound<'py, PyList>,
    function_type: &Bound<'py, PyType>,
    codes: Vec<usize>,
) -> PyResult<Bound<'py, PyList>> {
    let wanted: HashSet<usize> = codes.into_iter().collect();
    let found = PyList::empty(py);
    let code_name = pyo3::intern!(py, "__code__");
    for obj in objects.iter() {
        if !obj.get_type().is(function_type) {
            continue;
        }
        let code = obj.getattr(code_name)?;
        if wanted.contains(&(code.as_ptr() as usize)) {
            found.append(obj)?;
        }
    }
    Ok(found)
}
