//! Lesson analysis: alignment (being written).
