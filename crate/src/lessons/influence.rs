//! Lesson analysis: influence (being written).
