//! Text ↔ token ids, over the `tokenizers` crate (the same code as Hugging Face's tokenizers,
//! so a `tokenizer.json` saved in Python loads here unchanged).
//!
//! Besides ids, [`TextTokenizer::encode`] gives each token as readable text, because the page
//! shows the tokens. GPT-2's byte-level BPE stores tokens in a printable alphabet (`Ġ` is a
//! space, `Ċ` a newline) and may cut a multi-byte character, e.g. `喜` (E5 96 9C), between
//! tokens. A piece is therefore the token's real bytes, decoded as UTF-8 where they form whole
//! characters and shown as hex (`<E5 96>`) where they do not. Our own tokenizer
//! ([`crate::train::bpe`]) keeps whole characters and spells only the bytes of characters its
//! data never had as tokens, `<0xE9>`; those show as hex the same way (`<E9>`).

use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use tokenizers::{Decoder, Tokenizer};

use crate::{Error, GptConfig, Result};

/// One text, tokenized.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encoded {
    pub ids: Vec<u32>,
    /// Readable text of each token (see the module doc).
    pub pieces: Vec<String>,
    /// `(start, end)` of each token in the input, counted in chars (Unicode scalar values),
    /// end exclusive. A token holding part of a character spans that whole character.
    pub offsets: Vec<(usize, usize)>,
}

pub struct TextTokenizer {
    inner: Tokenizer,
    /// Does the tokenizer spell bytes with GPT-2's printable alphabet?
    byte_level: bool,
    /// One more than the largest id, added tokens included.
    vocab_size: usize,
}

impl TextTokenizer {
    /// Load a `tokenizer.json`.
    pub fn from_json(json: &str) -> Result<Self> {
        let inner = Tokenizer::from_str(json).map_err(|e| Error::Tokenizer(format!("tokenizer.json: {e}")))?;
        Ok(Self::new(inner))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let json = std::str::from_utf8(bytes).map_err(|e| Error::Tokenizer(format!("tokenizer.json is not UTF-8: {e}")))?;
        Self::from_json(json)
    }

    fn new(inner: Tokenizer) -> Self {
        // The decoder knows the alphabet: a byte-level one turns "Ġ" back into a space.
        let byte_level = inner
            .get_decoder()
            .and_then(|d| d.decode_chain(vec!["Ġ".to_string()]).ok())
            .is_some_and(|decoded| decoded.concat() == " ");
        let vocab_size = inner.get_vocab(true).values().max().map_or(0, |&id| id as usize + 1);
        Self { inner, byte_level, vocab_size }
    }

    /// One more than the largest token id the tokenizer can produce.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// The tokenizer must not produce ids the model has no embedding for.
    pub fn check_vocab(&self, config: &GptConfig) -> Result<()> {
        let size = self.vocab_size();
        if size > config.vocab_size {
            return Err(Error::Model(format!(
                "the tokenizer has {size} token ids but the model only {}; they do not belong together",
                config.vocab_size
            )));
        }
        Ok(())
    }

    /// Tokenize `text` as is (no special tokens added).
    pub fn encode(&self, text: &str) -> Result<Encoded> {
        let encoding = self.inner.encode_char_offsets(text, false).map_err(|e| Error::Tokenizer(e.to_string()))?;
        let tokens = encoding.get_tokens();
        let pieces = tokens.iter().map(|t| self.readable(t)).collect();
        let offsets = self
            .byte_level
            .then(|| char_spans(text, tokens))
            .flatten()
            .unwrap_or_else(|| encoding.get_offsets().to_vec());
        Ok(Encoded { ids: encoding.get_ids().to_vec(), pieces, offsets })
    }

    /// The text of a sequence of ids. Invalid UTF-8 (a cut character) becomes U+FFFD; an id the
    /// tokenizer does not have (a model may pad its vocabulary) is written `<id N>`.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        let mut text = String::new();
        for run in ids.chunk_by(|&a, &b| self.knows(a) == self.knows(b)) {
            if self.knows(run[0]) {
                text.push_str(&self.inner.decode(run, false).map_err(|e| Error::Tokenizer(e.to_string()))?);
            } else {
                run.iter().for_each(|id| text.push_str(&unknown(*id)));
            }
        }
        Ok(text)
    }

    /// The readable text of one token, as in [`Encoded::pieces`].
    pub fn token_text(&self, id: u32) -> Result<String> {
        match self.inner.id_to_token(id) {
            Some(token) => Ok(self.readable(&token)),
            None => Err(Error::Input(format!("the tokenizer has no token with id {id}"))),
        }
    }

    /// The id of a token given by its stored text (e.g. the special token `[MASK]`).
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    fn knows(&self, id: u32) -> bool {
        self.inner.id_to_token(id).is_some()
    }

    fn readable(&self, token: &str) -> String {
        if !self.byte_level {
            return match fallback_byte(token) {
                // An ASCII byte is a whole character (say `=`, which the data may lack).
                Some(byte) if byte.is_ascii() => char::from(byte).to_string(),
                Some(byte) => format!("<{byte:02X}>"),
                None => token.to_string(),
            };
        }
        // Special tokens (e.g. "<|endoftext|>") are stored literally, not in the byte alphabet.
        let Some(bytes) = token.chars().map(|c| CHAR_TO_BYTE.get(&c).copied()).collect::<Option<Vec<u8>>>() else {
            return token.to_string();
        };
        let mut text = String::new();
        for chunk in bytes.utf8_chunks() {
            text.push_str(chunk.valid());
            if !chunk.invalid().is_empty() {
                let hex: Vec<String> = chunk.invalid().iter().map(|b| format!("{b:02X}")).collect();
                text.push_str(&format!("<{}>", hex.join(" ")));
            }
        }
        text
    }
}

/// The byte a byte-fallback token (`<0xE9>`) stands for.
fn fallback_byte(token: &str) -> Option<u8> {
    let hex = token.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

/// Each byte-level token's char range, from the bytes it stands for. The library's offsets
/// cannot be used as they are: GPT-2's ByteLevel post-processor (`trim_offsets`) trims
/// whitespace from them, so `" b"` starts at the `b` and a lone space gets an empty range
/// (found by fuzzing). `None` when a token is not in the byte alphabet (a literal special token)
/// or the bytes do not add up to the text.
fn char_spans(text: &str, tokens: &[String]) -> Option<Vec<(usize, usize)>> {
    let char_of_byte: Vec<usize> = text.chars().enumerate().flat_map(|(i, c)| std::iter::repeat_n(i, c.len_utf8())).collect();
    let mut start = 0;
    let spans = tokens
        .iter()
        .map(|token| {
            let bytes = token.chars().map(|c| CHAR_TO_BYTE.get(&c)).collect::<Option<Vec<_>>>()?.len();
            let end = start + bytes;
            let span = (*char_of_byte.get(start)?, char_of_byte.get(end.checked_sub(1)?)? + 1);
            start = end;
            Some(span)
        })
        .collect::<Option<Vec<_>>>()?;
    (start == text.len()).then_some(spans)
}

fn unknown(id: u32) -> String {
    format!("<id {id}>")
}

/// GPT-2's byte-level alphabet, reversed: printable bytes stand for themselves, the other 68
/// (controls, space, a few Latin-1 ones) were moved to chars 256.. in byte order.
static CHAR_TO_BYTE: LazyLock<std::collections::HashMap<char, u8>> = LazyLock::new(|| {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut moved = 0;
    (0..=255u8)
        .map(|b| {
            let c = if printable(b) {
                char::from(b)
            } else {
                moved += 1;
                char::from_u32(255 + moved).expect("below the surrogate range")
            };
            (c, b)
        })
        .collect()
});

#[cfg(test)]
mod tests {
    use super::*;
    use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
    use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
    use tokenizers::models::TrainerWrapper;
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;

    const CORPUS: [&str; 6] = [
        "the cat sat on the mat",
        "the dog sat on the log",
        "小明 喜欢 苹果",
        "小红 喜欢 香蕉",
        "the cat likes apples",
        "小明 喜欢 猫",
    ];

    /// A small byte-level BPE trained here, then saved and loaded as JSON like a real one.
    fn trained() -> TextTokenizer {
        let mut tokenizer = Tokenizer::new(BPE::default());
        tokenizer.with_pre_tokenizer(Some(ByteLevel::default().add_prefix_space(false)));
        tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
        let mut trainer: TrainerWrapper = BpeTrainerBuilder::new()
            .vocab_size(300)
            .show_progress(false)
            .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
            .build()
            .into();
        tokenizer.train(&mut trainer, CORPUS.iter()).unwrap();
        TextTokenizer::from_json(&tokenizer.to_string(false).unwrap()).unwrap()
    }

    fn config(vocab_size: usize) -> GptConfig {
        GptConfig { n_embd: 8, n_layer: 1, n_head: 2, n_positions: 16, vocab_size, layer_norm_epsilon: 1e-5 }
    }

    #[test]
    fn the_alphabet_covers_every_byte_once() {
        assert_eq!(CHAR_TO_BYTE.len(), 256);
        assert_eq!(CHAR_TO_BYTE[&'Ġ'], b' ');
        assert_eq!(CHAR_TO_BYTE[&'Ċ'], b'\n');
        assert_eq!(CHAR_TO_BYTE[&'A'], b'A');
        let ours: std::collections::HashSet<char> = CHAR_TO_BYTE.keys().copied().collect();
        assert_eq!(ours, ByteLevel::alphabet().into_iter().collect());
    }

    #[test]
    fn pieces_offsets_and_round_trip() {
        let t = trained();
        assert!(t.byte_level);
        let text = "the cat sat on the mat";
        let e = t.encode(text).unwrap();
        assert_eq!(e.ids.len(), e.pieces.len());
        assert_eq!(e.ids.len(), e.offsets.len());
        assert_eq!(e.pieces.concat(), text);
        assert!(e.pieces.contains(&" cat".to_string()), "{:?}", e.pieces);
        let chars: Vec<char> = text.chars().collect();
        for (piece, &(start, end)) in e.pieces.iter().zip(&e.offsets) {
            assert_eq!(&chars[start..end].iter().collect::<String>(), piece);
        }
        assert_eq!(t.decode(&e.ids).unwrap(), text);
        for (&id, piece) in e.ids.iter().zip(&e.pieces) {
            assert_eq!(&t.token_text(id).unwrap(), piece);
        }
    }

    #[test]
    fn chinese_and_cut_characters_are_shown_honestly() {
        let t = trained();
        let text = "小明 喜欢 苹果";
        let e = t.encode(text).unwrap();
        assert_eq!(t.decode(&e.ids).unwrap(), text);
        // An unseen character is split into its bytes: 鲸 is E9 B2 B8.
        let e = t.encode("鲸").unwrap();
        assert!(e.pieces.len() > 1);
        assert_eq!(e.pieces.concat().replace(['<', '>'], "").replace(' ', ""), "E9B2B8");
        assert!(e.pieces.iter().all(|p| p.starts_with('<') && p.ends_with('>')));
        assert!(e.offsets.iter().all(|&(s, end)| s == 0 && end == 1), "{:?}", e.offsets);
    }

    #[test]
    fn odd_text_does_not_panic() {
        let t = trained();
        assert_eq!(t.encode("").unwrap(), Encoded { ids: vec![], pieces: vec![], offsets: vec![] });
        for text in ["👩‍👩‍👧 emoji", "e\u{301} combining", "שלום RTL مرحبا", "nul\0byte", "\n\t  ", "\u{FEFF}"] {
            let e = t.encode(text).unwrap();
            assert!(!e.ids.is_empty());
            assert_eq!(t.decode(&e.ids).unwrap(), text);
        }
    }

    #[test]
    fn unknown_ids_are_marked_and_a_vocab_mismatch_is_an_error() {
        let t = trained();
        let size = t.vocab_size();
        assert!(size > 256 && size <= 300, "{size}");
        let the = t.encode("the").unwrap().ids;
        let unknown = [size as u32, u32::MAX];
        assert_eq!(t.decode(&[&the[..], &unknown, &the].concat()).unwrap(), format!("the<id {size}><id {}>the", u32::MAX));
        assert!(matches!(t.token_text(u32::MAX), Err(Error::Input(_))));
        assert!(t.check_vocab(&config(size)).is_ok());
        assert!(matches!(t.check_vocab(&config(size - 1)), Err(Error::Model(_))));
        assert!(matches!(TextTokenizer::from_json("{"), Err(Error::Tokenizer(_))));
        assert!(matches!(TextTokenizer::from_bytes(&[0xFF, 0xFE]), Err(Error::Tokenizer(_))));
    }

    #[test]
    fn the_shipped_tokenizer_when_present() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/models/default/tokenizer.json");
        let Ok(json) = std::fs::read_to_string(path) else {
            eprintln!("skipped: {path} not committed yet");
            return;
        };
        let t = TextTokenizer::from_json(&json).unwrap();
        for text in ["小明 喜欢 苹果", "The cat sat on the mat.", "🙂"] {
            let e = t.encode(text).unwrap();
            assert_eq!(t.decode(&e.ids).unwrap(), text);
            assert!(e.pieces.iter().all(|p| !p.contains('\u{FFFD}')), "{:?}", e.pieces);
        }
        // Offsets keep whitespace: each piece is its span of the text, or a byte of a character
        // the data never had (the tab), whose span is that character.
        let e = t.encode("a  b \t").unwrap();
        let chars: Vec<char> = "a  b \t".chars().collect();
        for (piece, &(start, end)) in e.pieces.iter().zip(&e.offsets) {
            let span: String = chars[start..end].iter().collect();
            assert!(&span == piece || (span == "\t" && piece == "<09>"), "{piece:?} at {:?}", e.offsets);
        }
    }
}
