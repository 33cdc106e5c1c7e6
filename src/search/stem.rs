//! The `en_stem` analyzer with a memo in front of the stemmer.
//!
//! Tantivy's `en_stem` (simple tokens, long ones dropped, lowercased, English Porter2 stem)
//! stems every token anew; a library repeats a few thousand words millions of times, and the
//! stemmer was ~7% of a whole build's CPU. This analyzer gives exactly the same tokens, but
//! remembers each word's stem per thread.

use std::cell::RefCell;
use std::collections::HashMap;
use tantivy::Index;
use tantivy::tokenizer::{
    Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
    Token, TokenFilter, TokenStream, Tokenizer,
};

/// Words remembered per thread at most (a few MB); beyond that, new words are stemmed each time.
const MEMO_LIMIT: usize = 200_000;

thread_local! {
    static MEMO: RefCell<HashMap<String, String, foldhash::fast::FixedState>> = const {
        RefCell::new(HashMap::with_hasher(foldhash::fast::FixedState::with_seed(7)))
    };
    static PLAIN: RefCell<TextAnalyzer> = RefCell::new(
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(Stemmer::new(Language::English))
            .build(),
    );
}

/// The analyzer: the same pipeline as tantivy's built-in `en_stem`.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(MemoStemmer)
        .build()
}

/// Registers the analyzer under the name the schema uses, on a new or opened index.
pub fn register(index: &Index) {
    index
        .tokenizers()
        .register(super::schema::ANALYZER, analyzer());
}

/// The lowercased words of a text as the analyzer splits them (on anything not alphanumeric,
/// words of 40 bytes or more left out), each with its stem.
pub fn words(text: &str) -> Vec<(String, String)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.len() < 40)
        .map(|w| {
            let lower: String = w.chars().flat_map(char::to_lowercase).collect();
            let stemmed = memo_stem(&lower);
            (lower, stemmed)
        })
        .collect()
}

/// [`stem`] through the thread's memo.
pub fn memo_stem(word: &str) -> String {
    MEMO.with(|memo| {
        if let Some(s) = memo.borrow().get(word) {
            return s.clone();
        }
        let s = stem(word);
        let mut memo = memo.borrow_mut();
        if memo.len() < MEMO_LIMIT {
            memo.insert(word.to_owned(), s.clone());
        }
        s
    })
}

fn stem(word: &str) -> String {
    PLAIN.with(|a| {
        let mut a = a.borrow_mut();
        let mut stream = a.token_stream(word);
        if stream.advance() {
            stream.token().text.clone()
        } else {
            word.to_owned()
        }
    })
}

#[derive(Clone)]
struct MemoStemmer;

impl TokenFilter for MemoStemmer {
    type Tokenizer<T: Tokenizer> = MemoStemFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> MemoStemFilter<T> {
        MemoStemFilter { inner }
    }
}

#[derive(Clone)]
struct MemoStemFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for MemoStemFilter<T> {
    type TokenStream<'a> = MemoStemStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MemoStemStream {
            tail: self.inner.token_stream(text),
        }
    }
}

struct MemoStemStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for MemoStemStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        MEMO.with(|memo| {
            let mut memo = memo.borrow_mut();
            if let Some(stemmed) = memo.get(token.text.as_str()) {
                token.text.clear();
                token.text.push_str(stemmed);
            } else {
                let stemmed = stem(&token.text);
                if memo.len() < MEMO_LIMIT {
                    memo.insert(std::mem::take(&mut token.text), stemmed.clone());
                }
                token.text = stemmed;
            }
        });
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::TokenizerManager;

    fn tokens(mut a: TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut out = Vec::new();
        let mut s = a.token_stream(text);
        while s.advance() {
            let t = s.token();
            out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        out
    }

    #[test]
    fn same_tokens_as_tantivys_en_stem_twice_over() {
        let builtin = TokenizerManager::default().get("en_stem").expect("en_stem");
        let text = "Retries RETRYING retried: the connections' pool was exhausted; \
                    DNS-timeouts, caching caches cached — naïve Über-service \
                    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa x";
        // The second round is answered from the memo.
        for _ in 0..2 {
            assert_eq!(tokens(analyzer(), text), tokens(builtin.clone(), text));
        }
    }
}
