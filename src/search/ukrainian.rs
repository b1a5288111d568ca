//! A light Ukrainian stemmer of our own: Snowball has no Ukrainian algorithm,
//! and the Russian one mangles Ukrainian endings (-ів, -ою, -ії, і/ї/є).
//!
//! It is a rule-based suffix stripper shaped like Snowball's Russian
//! algorithm. RV is the part of the word after its first vowel
//! (а е є и і ї о у ю я); an ending is removed only if it lies wholly in RV
//! and leaves at least two letters. One ending group is tried, longest match
//! first, in this order:
//!
//! 1. gerunds (-вши, -вшись, -ючи, -учи, ...), and then nothing else;
//! 2. reflexive verbs: -ється, -ються, ... as a whole (so «налаштовується»
//!    meets «налаштовує»), else a bare -ся/-сь before the next groups;
//! 3. adjective endings (-ий, -ого, -ому, -их, -ими, ...), followed by an
//!    active-participle suffix -юч/-уч/-ач/-яч when a vowel precedes it;
//!    else -вати/-вав/-вала... after у/ю, else personal verb endings (-ємо,
//!    -ете, -ють, -ить, -тиме, ...);
//!    else noun case endings (-а, -у, -ом, -еві, -ів, -ами, -ях, -ою, -ія,
//!    -ість/-ості, ...; -ем only where it is an instrumental: ключем,
//!    паролем, not систем, проблем).
//!
//! Then a final soft sign is dropped, a final double consonant is undoubled
//! (налаштування/налаштувань), the fleeting vowel of -ок/-ець is removed
//! (помилок/помилка, рахунок/рахунку, гаманець/гаманця) and the і of a closed
//! last syllable becomes о (вхід/входу, договір/договору). Stems are search
//! keys, not words: сервіс gives сервос, in every form.
//!
//! Known limits: it is tuned for nouns, the bulk of helpdesk text. Verbs in
//! -увати/-ювати unify (працювати, працював, працює → працю); other
//! infinitives keep their -т (-ти looks like the plural of -т nouns:
//! сертифікати) and other past forms (-в, -ла, -ли) are left alone (заяв,
//! журнали, інтервали would clash). Dative -ові is not stripped (поштові is
//! an adjective far more often than серверові a noun). Consonant changes
//! (помилка/помилці, день/дня, папір/паперу) are not undone, and homographs
//! may share a stem.
//!
//! Apostrophes (' ’ ʼ) count as letters that are not vowels: they stay.

use std::sync::LazyLock;

const VOWELS: &str = "аеєиіїоуюя";

/// Gerunds: the word is a verb form, nothing else is stripped.
const GERUND: &str = "вшись ючись учись ячись ачись вши ючи учи ячи ачи";

/// Reflexive verb endings removed as a whole, with the personal ending.
const REFLEXIVE_VERB: &str = "ється еться иться їться ються уться яться аться \
    ємося емося имося єтеся етеся итеся";

const REFLEXIVE: &str = "ся сь";

const ADJECTIVE: &str = "ього ьому ого ому ьої ими іми ий ій ої ім им их іх ую юю ая яя";

const PARTICIPLE: &str = "юч уч ач яч";

/// -увати/-ювати verbs after у/ю: працювати, працював, працювала → працю.
const UVA: &str = "ватимемо ватимете ватимуть ватимеш ватиму ватиме вати вав вала вали вало";

/// Personal verb endings that no common noun form shares.
const VERB: &str = "тимемо тимете тимуть тимеш тиму тиме ємо емо имо їмо \
    єте ете ите їте ють уть ить іть їть йте ймо еш єш иш їш";

const NOUN: &str = "остями остей остям остях ість істю ості \
    іями ією ієм іїв іям іях ія ії ію ій ами ями ьми еві єві \
    ом єм ам ям ах ях ою ею єю ів їв ей а я о е є у ю і ї и й";

/// Each list split into chars once: the stemmer runs for every Cyrillic
/// word indexed or searched.
struct Endings(LazyLock<Vec<Vec<char>>>);

macro_rules! endings {
    ($name:ident, $list:expr) => {
        static $name: Endings = Endings(LazyLock::new(|| {
            $list
                .split_whitespace()
                .map(|e| e.chars().collect())
                .collect()
        }));
    };
}

endings!(GERUND_ENDINGS, GERUND);
endings!(REFLEXIVE_VERB_ENDINGS, REFLEXIVE_VERB);
endings!(REFLEXIVE_ENDINGS, REFLEXIVE);
endings!(ADJECTIVE_ENDINGS, ADJECTIVE);
endings!(PARTICIPLE_ENDINGS, PARTICIPLE);
endings!(UVA_ENDINGS, UVA);
endings!(VERB_ENDINGS, VERB);
endings!(NOUN_ENDINGS, NOUN);
endings!(EM_ENDINGS, "ем");

fn is_vowel(c: char) -> bool {
    VOWELS.contains(c)
}

/// Stems a lower-cased word; words of one or two letters come back as they are.
pub fn stem(word: &str) -> String {
    let mut w: Vec<char> = word.chars().collect();
    if w.len() <= 2 {
        return word.to_string();
    }
    // No vowel, no RV: an abbreviation or not Ukrainian at all.
    let Some(first_vowel) = w.iter().position(|&c| is_vowel(c)) else {
        return word.to_string();
    };
    let rv = first_vowel + 1;

    if !strip(&mut w, rv, &GERUND_ENDINGS, any) && !strip(&mut w, rv, &REFLEXIVE_VERB_ENDINGS, any)
    {
        strip(&mut w, rv, &REFLEXIVE_ENDINGS, any);
        if strip(&mut w, rv, &ADJECTIVE_ENDINGS, any) {
            // працюючий → працю, like працює; колючий keeps its -юч.
            strip(&mut w, rv, &PARTICIPLE_ENDINGS, |s| {
                s.last().is_some_and(|&c| is_vowel(c))
            });
        } else if !strip(&mut w, rv, &UVA_ENDINGS, |s| {
            matches!(s.last(), Some('у' | 'ю'))
        }) && !strip(&mut w, rv, &VERB_ENDINGS, any)
            && !strip(&mut w, rv, &NOUN_ENDINGS, any)
        {
            strip(&mut w, rv, &EM_ENDINGS, instrumental_em);
        }
    }

    if w.len() > 2 && w.last() == Some(&'ь') {
        w.pop();
    }
    let n = w.len();
    if n > 3 && w[n - 1] == w[n - 2] && w[n - 1].is_alphabetic() && !is_vowel(w[n - 1]) {
        w.pop();
    }
    unfleet(&mut w);
    // і of a closed last syllable is о in the other forms (вхід/входу,
    // договір/договору, рік/року): write о in every stem that ends so.
    let n = w.len();
    if n >= 3 && w[n - 2] == 'і' && is_consonant(w[n - 1]) && w[n - 1] != 'й' {
        w[n - 2] = 'о';
    }
    w.into_iter().collect()
}

fn any(_: &[char]) -> bool {
    true
}

fn is_consonant(c: char) -> bool {
    c.is_alphabetic() && !is_vowel(c) && c != 'ь'
}

/// -ем is the instrumental of soft and hushing stems (ключем, паролем,
/// лікарем) but also the genitive plural of -ема nouns (систем, проблем):
/// strip it after ж ч ш щ ц, or after л/р that follow a vowel.
fn instrumental_em(stem: &[char]) -> bool {
    match stem {
        [.., 'ж' | 'ч' | 'ш' | 'щ' | 'ц'] => true,
        [.., v, 'л' | 'р'] => is_vowel(*v),
        _ => false,
    }
}

/// Removes the longest listed ending that lies within RV, leaves two letters
/// and leaves a stem `ok` accepts.
fn strip(w: &mut Vec<char>, rv: usize, endings: &Endings, ok: impl Fn(&[char]) -> bool) -> bool {
    let mut best = 0;
    for ending in endings.0.iter() {
        let len = ending.len();
        let fits = len > best && w.len() >= rv + len && w.len() >= len + 2;
        if fits && w.ends_with(ending) && ok(&w[..w.len() - len]) {
            best = len;
        }
    }
    w.truncate(w.len() - best);
    best > 0
}

/// The vowel of -ок/-ец drops in the other forms (помилок/помилки): remove it
/// when a consonant precedes it and the word has a vowel before that (so блок
/// stays). Applied to every stem, so урок/уроку both become урк: consistent.
fn unfleet(w: &mut Vec<char>) {
    let n = w.len();
    if n < 4 {
        return;
    }
    let (c, v, k) = (w[n - 3], w[n - 2], w[n - 1]);
    let fleeting = (v == 'о' && k == 'к') || (v == 'е' && k == 'ц');
    if fleeting && is_consonant(c) && w[..n - 3].iter().any(|&ch| is_vowel(ch)) {
        w.remove(n - 2);
    }
}

#[cfg(test)]
mod tests {
    use super::stem;

    /// Every form of a lemma must give one stem.
    fn same(forms: &str) -> String {
        let mut forms_iter = forms.split(' ');
        let first = stem(forms_iter.next().unwrap_or_default());
        for form in forms_iter {
            assert_eq!(stem(form), first, "{form} in {forms}");
        }
        first
    }

    #[test]
    fn noun_forms_share_a_stem() {
        let lemmas = [
            "сертифікат сертифіката сертифікату сертифікатом сертифікати сертифікатів",
            "сервер сервера серверу сервером сервери серверів",
            "помилка помилки помилку помилкою помилок",
            "домен домену доменом домени доменів",
            "пошта пошти пошту поштою",
            "оплата оплати оплату оплатою",
            "налаштування налаштуванням налаштувань налаштуваннями",
            "хостинг хостингу хостингом",
            "підтримка підтримки підтримку підтримкою",
            "рахунок рахунку рахунком рахунки рахунків",
            "версія версії версію версією версій версіями",
            "швидкість швидкості швидкістю",
            "пам'ять пам'яті пам'яттю",
            "система системи системою систем",
            "проблема проблеми проблемою проблем",
            "пароль пароля паролем паролі паролів",
            "ключ ключа ключем ключі ключів",
            "вхід входу входом",
            "договір договору договором",
            "сервіс сервісу сервісом сервіси",
        ];
        for forms in lemmas {
            same(forms);
        }
    }

    #[test]
    fn adjective_and_verb_forms_share_a_stem() {
        same("новий нова нове нові нового новому новими");
        same("налаштовує налаштовують налаштовується налаштовуються");
        same("працює працюють працюємо працюючий працювати працював працювала");
        same("налаштувати налаштує налаштував налаштуватиму");
        same("поштовий поштова поштові поштового поштової");
    }

    #[test]
    fn different_words_keep_different_stems() {
        assert_ne!(stem("сервер"), stem("сертифікат"));
        assert_ne!(stem("домен"), stem("домовленість"));
        assert_ne!(stem("пошта"), stem("помилка"));
        assert_eq!(stem("сертифікатів"), "сертифікат");
    }

    #[test]
    fn short_words_are_unchanged() {
        for w in ["я", "не", "на", "ці", "й"] {
            assert_eq!(stem(w), w);
        }
    }

    #[test]
    fn odd_input_does_not_panic() {
        for w in [
            "",
            "ʼ",
            "''",
            "’’’",
            "12345",
            "abc",
            "серверabc",
            "ь",
            "ььь",
            "ся",
            "ися",
            "зв'язку",
            "ʼяʼ",
        ] {
            let _ = stem(w);
        }
        assert_eq!(stem(""), "");
        assert_eq!(stem("12345"), "12345");
        assert_eq!(stem("зв'язку"), stem("зв'язок"));
    }
}
