//! A host tensor: a shape and row-major `f32` data. Deliberately tiny — the engine needs shapes
//! checked and data laid out plainly, not a general array library.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    /// Panics if `data.len()` is not the product of `shape` (an engine bug, not a user error).
    pub fn new(shape: impl Into<Vec<usize>>, data: Vec<f32>) -> Self {
        let shape = shape.into();
        assert_eq!(
            shape.iter().product::<usize>(),
            data.len(),
            "tensor data does not fill shape {shape:?}"
        );
        Self { shape, data }
    }

    pub fn zeros(shape: impl Into<Vec<usize>>) -> Self {
        let shape = shape.into();
        let n = shape.iter().product();
        Self { shape, data: vec![0.0; n] }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Size of the last dimension (a row).
    pub fn cols(&self) -> usize {
        *self.shape.last().unwrap_or(&1)
    }

    /// Number of rows when the tensor is viewed as `(rows, cols)`.
    pub fn rows(&self) -> usize {
        if self.data.is_empty() { 0 } else { self.data.len() / self.cols() }
    }

    pub fn row(&self, i: usize) -> &[f32] {
        let c = self.cols();
        &self.data[i * c..(i + 1) * c]
    }

    /// Rows `start..end` of a (rows, cols) tensor, as a (end - start, cols) tensor.
    pub fn rows_range(&self, start: usize, end: usize) -> Tensor {
        let c = self.cols();
        assert!(start <= end && end <= self.rows(), "rows {start}..{end} of {}", self.rows());
        Tensor::new([end - start, c], self.data[start * c..end * c].to_vec())
    }
}
