//! `attention-playground`: the native command-line tool (to be written).

fn main() {}
