//! Lesson analysis: layers (being written).
