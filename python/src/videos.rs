//! Videos from Python: a dict, a JSON string, a path to a `.json`/`.jsonl` file, or a list of
//! dicts or JSON strings; parsed and validated by the engine against the library's dimensions.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use segue::Library;
use segue::query::video::EmbeddingDims;
use segue::soundtrack::{Video, parse_video, read_videos};

use crate::errors::{OrRaise, bad_input};

/// Every video `obj` holds, checked against `library`'s embedding dimensions.
pub fn videos(obj: &Bound<'_, PyAny>, library: &Library) -> PyResult<Vec<Video>> {
    videos_with_dims(obj, library.dims().into())
}

/// Every video `obj` holds, checked against embedding dimensions `dims`.
pub fn videos_with_dims(obj: &Bound<'_, PyAny>, dims: EmbeddingDims) -> PyResult<Vec<Video>> {
    let one = |item: &Bound<'_, PyAny>| -> PyResult<Video> {
        let text = json_text(item)?;
        parse_video(&text, dims).or_raise()
    };
    if obj.is_instance_of::<PyDict>() {
        return Ok(vec![one(obj)?]);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let s = s.to_cow()?;
        if s.trim_start().starts_with('{') {
            return Ok(vec![parse_video(&s, dims).or_raise()?]);
        }
    }
    if let Ok(list) = obj.cast::<PyList>() {
        if list.is_empty() {
            return Err(bad_input("the list of videos is empty"));
        }
        return list.iter().map(|item| one(&item)).collect();
    }
    if let Ok(path) = obj.extract::<PathBuf>() {
        return obj.py().detach(|| read_videos(&path, dims)).or_raise();
    }
    Err(bad_input(format!(
        "a video is a dict, a JSON string or a path to a .json/.jsonl file (or a list of \
         dicts or JSON strings), got {}",
        obj.get_type().name()?
    )))
}

/// Exactly one video (a file must hold one).
pub fn video(obj: &Bound<'_, PyAny>, library: &Library) -> PyResult<Video> {
    video_with_dims(obj, library.dims().into())
}

/// Exactly one video, checked against `dims`.
pub fn video_with_dims(obj: &Bound<'_, PyAny>, dims: EmbeddingDims) -> PyResult<Video> {
    let mut all = videos_with_dims(obj, dims)?;
    match all.len() {
        1 => Ok(all.remove(0)),
        n => Err(bad_input(format!(
            "expected one video, got {n}; plan them one by one (or evaluate them together)"
        ))),
    }
}

fn json_text(item: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = item.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if !item.is_instance_of::<PyDict>() {
        return Err(bad_input(format!(
            "a video in a list is a dict or a JSON string, got {}",
            item.get_type().name()?
        )));
    }
    let json = item.py().import("json")?;
    json.call_method1("dumps", (item,))
        .map_err(|e| bad_input(format!("the video is not JSON-serialisable: {e}")))?
        .extract()
}
