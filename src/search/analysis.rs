//! Query analysis shared by `coe search`, `coe similar` and the browser (which gets the same
//! lists in `search/index.json`): English stop words, and the operations thesaurus
//! (`thesaurus.txt`, extended by `[search.synonyms]` in `coe.toml`).
//!
//! A free-text query becomes [`Group`]s, one per word or per thesaurus phrase it holds; each
//! group has the words typed and, scored below them, their equivalents.

use std::collections::HashMap;

/// The thesaurus coe ships: one group of equivalent terms a line.
pub const BUILTIN_THESAURUS: &str = include_str!("thesaurus.txt");

/// How much an equivalent from the thesaurus counts against the word typed.
pub const SYNONYM_WEIGHT: f64 = 0.5;

/// English function words and chat filler, never scored in free text (kept in `"phrases"`).
/// Lowercase words, before stemming.
pub const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "anyone",
    "anything",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "during",
    "each",
    "even",
    "every",
    "few",
    "for",
    "from",
    "further",
    "get",
    "gets",
    "getting",
    "got",
    "guys",
    "had",
    "has",
    "have",
    "having",
    "he",
    "hello",
    "her",
    "here",
    "hers",
    "hey",
    "hi",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "know",
    "like",
    "looks",
    "lot",
    "lots",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "ok",
    "okay",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "please",
    "quite",
    "really",
    "same",
    "see",
    "seeing",
    "seems",
    "she",
    "should",
    "so",
    "some",
    "someone",
    "something",
    "such",
    "than",
    "thanks",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "then",
    "there",
    "these",
    "they",
    "think",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "yet",
    "you",
    "your",
    "yours",
];

pub fn is_stop(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// One word or phrase of the thesaurus.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Every stem, stop words included: what a query must hold, in order.
    pub all: Vec<String>,
    /// The stems a COE must hold (stop words left out, unless that leaves none).
    pub terms: Vec<String>,
}

/// The thesaurus with its entries stemmed.
#[derive(Debug, Clone, Default)]
pub struct Thesaurus {
    /// Each group's entries.
    pub groups: Vec<Vec<Entry>>,
    /// The raw groups, as written (for the browser, which stems them itself).
    pub raw: Vec<Vec<String>>,
    /// Stems of an entry (all) → the groups it is in.
    by_stems: HashMap<Vec<String>, Vec<u32>>,
    /// The longest entry, in words.
    longest: usize,
}

/// Reads a thesaurus text: groups a line, entries separated by commas, `#` comments.
pub fn parse_groups(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .map(|l| {
            l.split(',')
                .map(|e| e.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|e| !e.is_empty())
                .collect::<Vec<String>>()
        })
        .filter(|g| g.len() >= 2)
        .collect()
}

/// The lowercased words of a text (tokens as the index has them, before stemming) with
/// their stems.
pub fn words(text: &str) -> Vec<(String, String)> {
    super::stem::words(text)
}

impl Thesaurus {
    /// The built-in thesaurus plus a library's own groups (`[search.synonyms]`).
    pub fn new(extra: &[Vec<String>]) -> Thesaurus {
        let mut raw = parse_groups(BUILTIN_THESAURUS);
        raw.extend(extra.iter().filter(|g| g.len() >= 2).cloned());
        Thesaurus::of_groups(raw)
    }

    fn of_groups(raw: Vec<Vec<String>>) -> Thesaurus {
        let mut t = Thesaurus::default();
        for group in raw {
            let id = t.groups.len() as u32;
            let mut entries: Vec<Entry> = Vec::new();
            for text in &group {
                let w = words(text);
                if w.is_empty() {
                    continue;
                }
                let all: Vec<String> = w.iter().map(|(_, s)| s.clone()).collect();
                let mut terms: Vec<String> = w
                    .iter()
                    .filter(|(word, _)| !is_stop(word))
                    .map(|(_, s)| s.clone())
                    .collect();
                if terms.is_empty() {
                    terms = all.clone();
                }
                if entries.iter().any(|e| e.all == all) {
                    continue;
                }
                t.longest = t.longest.max(all.len());
                let slot = t.by_stems.entry(all.clone()).or_default();
                if !slot.contains(&id) {
                    slot.push(id);
                }
                entries.push(Entry { all, terms });
            }
            t.groups.push(entries);
            t.raw.push(group);
        }
        t
    }

    /// The groups an entry made of these stems is in.
    pub fn groups_of(&self, stems: &[String]) -> &[u32] {
        self.by_stems.get(stems).map_or(&[], Vec::as_slice)
    }

    /// The equivalents of one stem that are single words themselves (for similarity).
    pub fn single_word_groups(&self) -> impl Iterator<Item = Vec<&str>> {
        self.groups.iter().map(|g| {
            g.iter()
                .filter(|e| e.all.len() == 1)
                .map(|e| e.all[0].as_str())
                .collect()
        })
    }
}

/// A way of matching a query group in a COE.
#[derive(Debug, Clone, PartialEq)]
pub struct Alt {
    /// Stems; an equivalent needs all of them in the COE, the words typed count one by one.
    pub terms: Vec<String>,
    /// 1 for the words typed, [`SYNONYM_WEIGHT`] for an equivalent.
    pub weight: f64,
    pub typed: bool,
}

/// One word, phrase or thesaurus match of a query: a COE's score for it is that of its
/// best alternative.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub alts: Vec<Alt>,
    /// Written in quotes: all its words, in order (the phrase itself is checked apart).
    pub phrase: bool,
}

impl Group {
    /// How many stems the words typed have.
    pub fn typed_len(&self) -> usize {
        self.alts
            .iter()
            .find(|a| a.typed)
            .map_or(1, |a| a.terms.len().max(1))
    }
}

/// The groups of one piece of free text (not a phrase): thesaurus phrases found (longest
/// first), then single words; stop words that are not part of a thesaurus phrase are dropped.
pub fn analyse(text: &str, thesaurus: &Thesaurus) -> Vec<Group> {
    let w = words(text);
    let stems: Vec<String> = w.iter().map(|(_, s)| s.clone()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < w.len() {
        let mut matched = None;
        for len in (1..=thesaurus.longest.min(w.len() - i)).rev() {
            let ids = thesaurus.groups_of(&stems[i..i + len]);
            if !ids.is_empty() {
                matched = Some((len, ids));
                break;
            }
        }
        match matched {
            Some((len, ids)) => {
                let typed: Vec<String> = w[i..i + len]
                    .iter()
                    .filter(|(word, _)| !is_stop(word))
                    .map(|(_, s)| s.clone())
                    .collect();
                let typed = if typed.is_empty() {
                    stems[i..i + len].to_vec()
                } else {
                    typed
                };
                let mut alts = vec![Alt {
                    terms: typed,
                    weight: 1.0,
                    typed: true,
                }];
                for &g in ids {
                    for e in &thesaurus.groups[g as usize] {
                        if !alts.iter().any(|a| a.terms == e.terms) {
                            alts.push(Alt {
                                terms: e.terms.clone(),
                                weight: SYNONYM_WEIGHT,
                                typed: false,
                            });
                        }
                    }
                }
                out.push(Group {
                    alts,
                    phrase: false,
                });
                i += len;
            }
            None => {
                if !is_stop(&w[i].0) {
                    out.push(Group {
                        alts: vec![Alt {
                            terms: vec![stems[i].clone()],
                            weight: 1.0,
                            typed: true,
                        }],
                        phrase: false,
                    });
                }
                i += 1;
            }
        }
    }
    // The same word twice counts once.
    let mut seen: Vec<Vec<String>> = Vec::new();
    out.retain(|g| {
        let key = g.alts[0].terms.clone();
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
    out
}

/// A quoted phrase: one group of all its stems, stop words kept, no equivalents.
pub fn phrase(text: &str) -> Option<Group> {
    let terms: Vec<String> = words(text).into_iter().map(|(_, s)| s).collect();
    if terms.is_empty() {
        return None;
    }
    Some(Group {
        alts: vec![Alt {
            terms,
            weight: 1.0,
            typed: true,
        }],
        phrase: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_and_the_thesaurus_is_large() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        let t = Thesaurus::new(&[]);
        assert!(t.groups.len() >= 150, "{}", t.groups.len());
    }

    #[test]
    fn queries_lose_stop_words_and_gain_equivalents() {
        let t = Thesaurus::new(&[vec!["pgb".into(), "pgbouncer".into()]]);
        let g = analyse("the k8s nodes OOM after the config push", &t);
        let typed: Vec<&str> = g.iter().map(|g| g.alts[0].terms[0].as_str()).collect();
        assert_eq!(typed, vec!["k8s", "node", "oom", "config"]);
        assert!(
            g[0].alts
                .iter()
                .any(|a| a.terms == ["kubernet"] && !a.typed)
        );
        assert!(g[2].alts.iter().any(|a| a.terms == ["memori"]));
        // "config push" is one thesaurus phrase.
        assert_eq!(g[3].alts[0].terms, ["config", "push"]);
        let g = analyse("no space left on device", &t);
        assert_eq!(g[0].alts[0].terms, ["space", "left"]);
        assert!(g[0].alts.iter().any(|a| a.terms == ["disk", "full"]));
        assert_eq!(g[1].alts[0].terms, ["devic"]);
        let g = analyse("pgb", &t);
        assert!(g[0].alts.iter().any(|a| a.terms == ["pgbouncer"]));
        assert_eq!(
            phrase("out of memory").map(|g| g.alts[0].terms.len()),
            Some(3)
        );
        assert!(analyse("the of and", &t).is_empty());
    }
}
