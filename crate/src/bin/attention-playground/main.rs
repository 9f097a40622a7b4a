//! `attention-playground`: the engine from the command line.
//!
//! Every command prints one JSON document on stdout; an error prints one line on stderr and
//! exits non-zero. Floats that are not finite (the -∞ of masked attention scores) are written
//! as `null`, since JSON has no infinity.
//!
//! A model directory holds `config.json` and `model.safetensors` (Hugging Face GPT-2 layout),
//! and `tokenizer.json` for commands that take text. A GPT runs with the causal mask, a
//! BERT-style encoder (its config says `"attention_mask": "bidirectional"`) with the
//! bidirectional one, unless `--mask` says otherwise; `fill` needs an encoder. Without `--model`, `www/models/default`
//! is looked for above the current directory, then above the executable.

// The CLI is native only (clap, files, blocking); in the browser the library's `wasm` module is
// the API. An empty program keeps `cargo test --target wasm32-unknown-unknown`, which builds
// every binary, compiling.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod card;
#[cfg(not(target_arch = "wasm32"))]
mod encoder_card;
#[cfg(not(target_arch = "wasm32"))]
mod lessons_layers;
#[cfg(not(target_arch = "wasm32"))]
mod lessons_align;
#[cfg(not(target_arch = "wasm32"))]
mod lessons_influence;
#[cfg(not(target_arch = "wasm32"))]
mod prompts;
#[cfg(not(target_arch = "wasm32"))]
mod train;
#[cfg(not(target_arch = "wasm32"))]
mod train_rnn;
#[cfg(not(target_arch = "wasm32"))]
mod training_log;

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;

    use attention_playground::ops::attention::Mask;
    use attention_playground::backend::BackendKind;
    use attention_playground::config::Objective;
    use attention_playground::engine::{BackendStatus, Engine};
    use attention_playground::fill::{fill_in, mask_id};
    use attention_playground::sampling::{probability_steps, ProbabilitySteps, SamplingOptions};
    use attention_playground::tokenizer::{Encoded, TextTokenizer};
    use attention_playground::trace::Trace;
    use attention_playground::views::{self, TokensView};
    use attention_playground::weights::load_safetensors;
    use attention_playground::{Error, GptConfig, Result, Tensor};
    use clap::{Args, Parser, Subcommand, ValueEnum};
    use serde::Serialize;

    const DEFAULT_MODEL: &str = "www/models/default";

    #[derive(Parser)]
    #[command(name = "attention-playground", version, about = "Run the Attention Playground's tiny GPT; prints JSON")]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Logits for every position: one row of vocab_size numbers per input token.
        Forward {
            #[command(flatten)]
            model: ModelArgs,
            #[command(flatten)]
            input: InputArgs,
            /// Attention mask [default: the model's own: causal for a GPT, bidirectional for an encoder]
            #[arg(long, value_enum)]
            mask: Option<MaskArg>,
        },
        /// Continue a text, token by token.
        Generate {
            #[command(flatten)]
            model: ModelArgs,
            #[command(flatten)]
            input: InputArgs,
            /// Most new tokens (generation also stops at the end of the model's context).
            #[arg(long, default_value_t = 32)]
            max_tokens: usize,
            #[command(flatten)]
            sampling: SamplingArgs,
        },
        /// Every intermediate of one forward pass, and the next-token probability steps.
        Trace {
            #[command(flatten)]
            model: ModelArgs,
            #[command(flatten)]
            input: InputArgs,
            /// Attention mask [default: the model's own: causal for a GPT, bidirectional for an encoder]
            #[arg(long, value_enum)]
            mask: Option<MaskArg>,
            /// Keep only this block's trace (0-based).
            #[arg(long)]
            layer: Option<usize>,
            /// How many of the most probable next tokens to list.
            #[arg(long, default_value_t = 10)]
            top: usize,
            #[command(flatten)]
            sampling: SamplingArgs,
        },
        /// Fill in each [MASK] of a text with a BERT-style encoder: its most likely tokens.
        Fill {
            #[command(flatten)]
            model: ModelArgs,
            /// Text with one or more [MASK], e.g. "小明 [MASK] 苹果"
            #[arg(long)]
            text: String,
            /// Candidates per [MASK], most likely first.
            #[arg(long, default_value_t = 5)]
            top: usize,
        },
        /// A text's tokens: ids, readable pieces and char offsets.
        Tokenize {
            /// Model directory (only its tokenizer.json is read).
            #[arg(long)]
            model: Option<PathBuf>,
            #[arg(long)]
            text: String,
        },
        /// Chapter 4 (layers): what each block adds to the residual stream, how its heads attend, and the logit lens at one token.
        Layers(crate::lessons_layers::Args),
        /// Lesson 1: a `中文 | English` pair's alignment matrix from a head, and every head's score on the held-out pairs.
        Align {
            #[command(flatten)]
            model: ModelArgs,
            #[command(flatten)]
            args: crate::lessons_align::AlignArgs,
        },
        /// Lesson 1: write the held-out pairs with gold word links (from the corpus's validation lines).
        AlignmentPairs {
            #[command(flatten)]
            model: ModelArgs,
            #[command(flatten)]
            args: crate::lessons_align::AlignmentPairsArgs,
        },
        /// Lesson 7: a repeated sequence of random tokens: each head's induction score and the in-context gain.
        Induction {
            #[command(flatten)]
            model: ModelArgs,
            #[command(flatten)]
            args: crate::lessons_align::InductionArgs,
        },
        /// Lesson 7: a Chinese sentence with `|`, without, and with `=`: where the next-token probability goes.
        PromptFormats {
            #[command(flatten)]
            model: ModelArgs,
            #[command(flatten)]
            args: crate::lessons_align::PromptFormatsArgs,
        },
        /// Lessons, chapter 3: how much each earlier token sways the next-token prediction, in the GPT and the recurrent net.
        Influence(crate::lessons_influence::Args),
        /// Train a BPE tokenizer and a GPT (or, with --objective masked-tokens, a BERT-style encoder) on text files (CPU), writing a model folder.
        Train(crate::train::Args),
    }

    #[derive(Args)]
    pub(crate) struct ModelArgs {
        /// Directory with config.json, model.safetensors and tokenizer.json [default: www/models/default]
        #[arg(long)]
        model: Option<PathBuf>,
        /// Backend to run on [default: the GPU if usable, else SIMD]
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
    }

    #[derive(Args)]
    #[group(required = true, multiple = false)]
    struct InputArgs {
        /// Token ids, comma-separated, e.g. 5,17,42
        #[arg(long, value_delimiter = ',')]
        ids: Option<Vec<u32>>,
        /// Text, tokenized with the model's tokenizer.json
        #[arg(long)]
        text: Option<String>,
    }

    #[derive(Args)]
    struct SamplingArgs {
        #[arg(long, default_value_t = 1.0)]
        temperature: f32,
        #[arg(long)]
        top_k: Option<usize>,
        #[arg(long)]
        top_p: Option<f32>,
        /// Always take the most probable token.
        #[arg(long)]
        greedy: bool,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    }

    #[derive(Clone, Copy, ValueEnum)]
    pub(crate) enum BackendArg {
        Scalar,
        Simd,
        Gpu,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum MaskArg {
        Causal,
        Bidirectional,
    }

    impl From<BackendArg> for BackendKind {
        fn from(arg: BackendArg) -> Self {
            match arg {
                BackendArg::Scalar => BackendKind::Scalar,
                BackendArg::Simd => BackendKind::Simd,
                BackendArg::Gpu => BackendKind::Gpu,
            }
        }
    }

    impl From<MaskArg> for Mask {
        fn from(arg: MaskArg) -> Self {
            match arg {
                MaskArg::Causal => Mask::Causal,
                MaskArg::Bidirectional => Mask::Bidirectional,
            }
        }
    }

    impl From<&SamplingArgs> for SamplingOptions {
        fn from(args: &SamplingArgs) -> Self {
            SamplingOptions {
                temperature: args.temperature,
                top_k: args.top_k,
                top_p: args.top_p,
                greedy: args.greedy,
                seed: args.seed,
            }
        }
    }

    // What each command prints. Typed rather than built as `serde_json::Value`, so f32 numbers are
    // written in their shortest form (0.5649498) instead of as widened f64 (0.5649498105049133).

    #[derive(Serialize)]
    struct ForwardJson<'a> {
        ids: &'a [u32],
        /// (T, V): one row per input position.
        logits: Vec<&'a [f32]>,
        backend: &'a BackendStatus,
    }

    #[derive(Serialize)]
    struct GenerateJson<'a> {
        prompt_ids: &'a [u32],
        /// The new tokens only.
        ids: &'a [u32],
        /// Their text, when the model has a tokenizer.
        text: Option<String>,
        sampling: &'a SamplingOptions,
        backend: &'a BackendStatus,
    }

    #[derive(Serialize)]
    struct TraceJson<'a> {
        tokens: Option<Encoded>,
        /// The tokens as the page shows them: the pieces of a character numbered (小¹ 小²).
        shown: Option<TokensView>,
        /// The one block kept in `trace.layers`, if `--layer` chose one.
        layer: Option<usize>,
        trace: &'a Trace<Tensor>,
        next_token: NextToken,
        backend: &'a BackendStatus,
    }

    /// What follows the last position.
    #[derive(Serialize)]
    struct NextToken {
        steps: ProbabilitySteps,
        top: Vec<Candidate>,
    }

    #[derive(Serialize)]
    struct Candidate {
        id: u32,
        probability: f32,
        text: Option<String>,
    }

    pub(crate) fn to_json(value: &impl Serialize) -> String {
        serde_json::to_string(value).expect("outputs have string keys only")
    }

    pub fn main() -> ExitCode {
        // A panic is a bug in the engine; report it in one line like any other failure (the
        // process then exits with 101).
        std::panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            eprintln!("error: internal error (a bug, please report it): {message}");
        }));
        let cli = Cli::parse();
        match pollster::block_on(run(cli)) {
            Ok(None) => ExitCode::SUCCESS,
            Ok(Some(output)) => match print_json(&output) {
                Ok(()) => ExitCode::SUCCESS,
                // A closed pipe (e.g. `| head`) is not worth a message.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: writing the output: {e}");
                    ExitCode::FAILURE
                }
            },
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        }
    }

    fn print_json(json: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{json}")?;
        out.flush()
    }

    /// The command's output, as JSON; none for training, which reports progress on the
    /// terminal instead.
    async fn run(cli: Cli) -> Result<Option<String>> {
        let json = match cli.command {
            Command::Train(args) => return crate::train::run(args).map(|()| None),
            Command::Layers(args) => crate::lessons_layers::run(args).await,
            Command::Influence(args) => crate::lessons_influence::run(args).await,
            Command::Forward { model, input, mask } => {
                let (mut engine, tokenizer, objective) = open(&model).await?;
                let ids = input_ids(&input, tokenizer.as_ref())?;
                let output = engine.forward(&ids, mask.map_or(objective.attention_mask, Mask::from), false).await?;
                let logits: Vec<&[f32]> = (0..output.logits.rows()).map(|t| output.logits.row(t)).collect();
                Ok(to_json(&ForwardJson { ids: &ids, logits, backend: engine.status() }))
            }
            Command::Generate { model, input, max_tokens, sampling } => {
                let (mut engine, tokenizer, objective) = open(&model).await?;
                if objective.is_encoder() {
                    return Err(Error::Input(
                        "this model is a BERT-style encoder: it fills in [MASK] (the fill command), it does not continue text".into(),
                    ));
                }
                let prompt = input_ids(&input, tokenizer.as_ref())?;
                let opts = SamplingOptions::from(&sampling);
                let ids = engine.generate(&prompt, max_tokens, &opts, |_| true).await?;
                let text = match &tokenizer {
                    Some(t) => Some(t.decode(&ids)?),
                    None => None,
                };
                Ok(to_json(&GenerateJson {
                    prompt_ids: &prompt,
                    ids: &ids,
                    text,
                    sampling: &opts,
                    backend: engine.status(),
                }))
            }
            Command::Trace { model, input, mask, layer, top, sampling } => {
                let (mut engine, tokenizer, objective) = open(&model).await?;
                let mask = mask.map_or(objective.attention_mask, Mask::from);
                let ids = input_ids(&input, tokenizer.as_ref())?;
                let (tokens, shown) = match (&tokenizer, &input.text) {
                    (Some(t), Some(text)) => (Some(t.encode(text)?), Some(views::tokens_of(t, engine.config().n_positions, text)?)),
                    _ => (None, None),
                };
                let n_layer = engine.config().n_layer;
                if let Some(l) = layer.filter(|&l| l >= n_layer) {
                    return Err(Error::Input(format!("--layer {l} does not exist; the model has layers 0..{n_layer}")));
                }
                let output = engine.forward(&ids, mask, true).await?;
                let mut trace = output.trace.expect("a trace was asked for");
                if let Some(l) = layer {
                    trace.layers = vec![trace.layers.swap_remove(l)];
                }
                let opts = SamplingOptions::from(&sampling);
                let steps = probability_steps(output.logits.row(output.logits.rows() - 1), &opts)?;
                let top = views::most_likely(&steps, top)
                    .into_iter()
                    .map(|id| Candidate {
                        id,
                        probability: steps.probabilities[id as usize],
                        text: tokenizer.as_ref().and_then(|t| t.token_text(id).ok()),
                    })
                    .collect();
                let shown = shown.map(|s| s.with_mask(mask));
                Ok(to_json(&TraceJson {
                    tokens,
                    shown,
                    layer,
                    trace: &trace,
                    next_token: NextToken { steps, top },
                    backend: engine.status(),
                }))
            }
            Command::Fill { model, text, top } => {
                let (mut engine, tokenizer, objective) = open(&model).await?;
                let encoder = objective.is_encoder();
                let Some(mask_token) = objective.mask_token.filter(|_| encoder) else {
                    return Err(Error::Input(
                        "this model is a GPT: it has no mask token to fill in (use a BERT-style encoder, e.g. --model www/models/encoder)".into(),
                    ));
                };
                let tokenizer = tokenizer.ok_or_else(|| Error::Tokenizer("fill needs a tokenizer.json in the model directory".into()))?;
                let ids = tokenizer.encode(&text)?.ids;
                if ids.len() > engine.config().n_positions {
                    return Err(Error::Input(format!(
                        "the text is {} tokens; the model reads at most {}",
                        ids.len(),
                        engine.config().n_positions
                    )));
                }
                let mask = mask_id(&tokenizer, &mask_token)?;
                Ok(to_json(&fill_in(&mut engine, &ids, mask, &tokenizer, top).await?))
            }
            Command::Align { model, args } => {
                let (mut engine, tokenizer, _) = open(&model).await?;
                crate::lessons_align::align(&mut engine, &crate::lessons_align::need_tokenizer(tokenizer)?, args).await
            }
            Command::AlignmentPairs { model, args } => {
                let (engine, tokenizer, _) = open(&model).await?;
                crate::lessons_align::alignment_pairs(&engine, &crate::lessons_align::need_tokenizer(tokenizer)?, args)
            }
            Command::Induction { model, args } => {
                let (mut engine, tokenizer, _) = open(&model).await?;
                crate::lessons_align::induction(&mut engine, &crate::lessons_align::need_tokenizer(tokenizer)?, args).await
            }
            Command::PromptFormats { model, args } => {
                let (mut engine, tokenizer, _) = open(&model).await?;
                crate::lessons_align::prompt_formats(&mut engine, &crate::lessons_align::need_tokenizer(tokenizer)?, args).await
            }
            Command::Tokenize { model, text } => {
                let dir = model_dir(model.as_deref())?;
                let tokenizer = read_tokenizer(&dir)?
                    .ok_or_else(|| Error::Tokenizer(format!("{} has no tokenizer.json", dir.display())))?;
                Ok(to_json(&tokenizer.encode(&text)?))
            }
        };
        json.map(Some)
    }

    /// The model directory's engine, its tokenizer if it has one, and what it was trained for.
    pub(crate) async fn open(args: &ModelArgs) -> Result<(Engine, Option<TextTokenizer>, Objective)> {
        open_dir(&model_dir(args.model.as_deref())?, args.backend.map(BackendKind::from)).await
    }

    /// [`open`] for a given folder and backend.
    pub(crate) async fn open_dir(dir: &Path, backend: Option<BackendKind>) -> Result<(Engine, Option<TextTokenizer>, Objective)> {
        let config_json = read_text(&dir.join("config.json"))?;
        let config = GptConfig::from_json(&config_json)?;
        let objective = Objective::from_json(&config_json)?;
        let weights = load_safetensors(&read_bytes(&dir.join("model.safetensors"))?, &config)?;
        let tokenizer = read_tokenizer(dir)?;
        if let Some(t) = &tokenizer {
            t.check_vocab(&config)?;
        }
        let engine = Engine::new(config, weights, backend).await?;
        Ok((engine, tokenizer, objective))
    }

    fn input_ids(input: &InputArgs, tokenizer: Option<&TextTokenizer>) -> Result<Vec<u32>> {
        match (&input.ids, &input.text, tokenizer) {
            (Some(ids), _, _) => Ok(ids.clone()),
            (None, Some(text), Some(t)) => Ok(t.encode(text)?.ids),
            (None, Some(_), None) => Err(Error::Tokenizer("--text needs a tokenizer.json in the model directory".into())),
            (None, None, _) => Err(Error::Input("give --ids or --text".into())),
        }
    }

    fn read_tokenizer(dir: &Path) -> Result<Option<TextTokenizer>> {
        let path = dir.join("tokenizer.json");
        if !path.exists() {
            return Ok(None);
        }
        TextTokenizer::from_json(&read_text(&path)?).map(Some)
    }

    pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
        std::fs::read(path).map_err(|e| Error::Model(format!("cannot read {}: {e}", path.display())))
    }

    pub(crate) fn read_text(path: &Path) -> Result<String> {
        String::from_utf8(read_bytes(path)?).map_err(|_| Error::Model(format!("{} is not UTF-8 text", path.display())))
    }

    /// `--model`, or `www/models/default` found above the current directory or the executable.
    pub(crate) fn model_dir(given: Option<&Path>) -> Result<PathBuf> {
        if let Some(dir) = given {
            if !dir.is_dir() {
                return Err(Error::Model(format!("model directory {} does not exist", dir.display())));
            }
            return Ok(dir.to_path_buf());
        }
        let starts = [std::env::current_dir().ok(), std::env::current_exe().ok()];
        starts
            .iter()
            .flatten()
            .flat_map(|start| start.ancestors())
            .map(|dir| dir.join(DEFAULT_MODEL))
            .find(|dir| dir.join("config.json").is_file())
            .ok_or_else(|| {
                Error::Model(format!(
                    "no --model given and no {DEFAULT_MODEL}/config.json above the current directory or the executable"
                ))
            })
    }
}
