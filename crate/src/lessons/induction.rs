//! Lesson analysis: induction (being written).
