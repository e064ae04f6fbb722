//! "Did you mean …?": the closest known name to a mistyped one (a command, a flag,
//! a profile or an sso-session), by case and small edits.

/// The candidate closest to `typed`: one that differs only in case, else the one
/// with the fewest edits (insertions, deletions, substitutions and swaps of two
/// neighbours), if that is small for the word's length (at most a third of it,
/// and at least one). Ties go to the first candidate.
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = typed.to_lowercase();
    let limit = (typed.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == typed {
            continue;
        }
        let d = if c.to_lowercase() == lower {
            0
        } else {
            distance(&lower, &c.to_lowercase())
        };
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Up to `n` names joined with ", ", and "…" when there are more.
pub fn some_of(names: &[String], n: usize) -> String {
    let mut out = names
        .iter()
        .take(n)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > n {
        out.push_str(", …");
    }
    out
}

/// The optimal-string-alignment distance between `a` and `b`, by characters.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Names this long are not typos of each other; don't spend time on them.
    if a.len().abs_diff(b.len()) > 3 || a.len() > 256 || b.len() > 256 {
        return usize::MAX;
    }
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = v;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_small_edits() {
        let names = ["dev", "prod", "Sandbox", "dev-admin"];
        assert_eq!(closest("DEV", names), Some("dev"));
        assert_eq!(closest("sandbox", names), Some("Sandbox"));
        assert_eq!(closest("prdo", names), Some("prod"));
        assert_eq!(closest("dev-admn", names), Some("dev-admin"));
        assert_eq!(closest("staging", names), None);
        assert_eq!(
            closest("dev", names),
            None,
            "an exact name is no suggestion"
        );
        assert_eq!(closest("loign", ["login", "logout"]), Some("login"));
    }

    #[test]
    fn lists_are_cut() {
        let names: Vec<String> = (1..=10).map(|i| format!("p{i}")).collect();
        assert_eq!(some_of(&names[..2], 8), "p1, p2");
        assert_eq!(some_of(&names, 3), "p1, p2, p3, …");
    }
}
