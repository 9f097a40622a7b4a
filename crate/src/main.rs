//! `attention-playground`: the native command-line tool.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Attention Playground: run, inspect and train a tiny GPT")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a BPE tokenizer and a GPT on text files (CPU), writing a model folder.
    Train(attention_playground::train::Args),
}

fn main() {
    let result = match Cli::parse().command {
        Command::Train(args) => attention_playground::train::run(args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
