//! The checks the Runner serializer makes before it rebuilds a `RegExp` from the wire
//! (`regexp-validator.ts`): known flags, each once; a pattern of at most 1024 UTF-16
//! units; and no pattern prone to catastrophic backtracking (a quantified group holding
//! a quantifier, or a quantified alternation whose branches overlap as prefixes).

/// The serializer's default `maxRegExpPatternLength`.
pub const MAX_PATTERN_LENGTH: usize = 1024;

/// Why a `RegExp` payload is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegExpRefusal {
    InvalidFlags,
    TooLong(usize),
    Unsafe,
}

impl std::fmt::Display for RegExpRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidFlags => f.write_str("Invalid RegExp flags"),
            Self::TooLong(limit) => write!(f, "RegExp pattern exceeds limit ({limit})"),
            Self::Unsafe => f.write_str("Unsafe RegExp pattern"),
        }
    }
}

/// Check a `{pattern, flags}` payload as the serializer does.
pub fn check(pattern: &str, flags: &str) -> Result<(), RegExpRefusal> {
    let mut seen = Vec::new();
    for flag in flags.chars() {
        if !"dgimsuvy".contains(flag) || seen.contains(&flag) {
            return Err(RegExpRefusal::InvalidFlags);
        }
        seen.push(flag);
    }
    if pattern.encode_utf16().count() > MAX_PATTERN_LENGTH {
        return Err(RegExpRefusal::TooLong(MAX_PATTERN_LENGTH));
    }
    if !is_safe(&pattern.chars().collect::<Vec<_>>()) {
        return Err(RegExpRefusal::Unsafe);
    }
    Ok(())
}

fn is_bounded_quantifier(p: &[char], index: usize) -> bool {
    let (mut saw_digit, mut saw_comma) = (false, false);
    for &c in p.iter().skip(index + 1) {
        match c {
            '0'..='9' => saw_digit = true,
            ',' if !saw_comma => saw_comma = true,
            '}' => return saw_digit,
            _ => return false,
        }
    }
    false
}

fn is_quantifier_at(p: &[char], index: usize) -> bool {
    match p.get(index) {
        Some('*' | '+' | '?') => true,
        Some('{') => is_bounded_quantifier(p, index),
        _ => false,
    }
}

fn is_quantifier_char(p: &[char], index: usize) -> bool {
    match p[index] {
        '*' | '+' => true,
        '?' => !(index > 0 && p[index - 1] == '('),
        '{' => is_bounded_quantifier(p, index),
        _ => false,
    }
}

fn strip_group_prefix(body: &[char]) -> &[char] {
    if body.first() != Some(&'?') {
        return body;
    }
    let starts = |prefix: &str| body.iter().copied().take(prefix.len()).eq(prefix.chars());
    if starts("?:") || starts("?=") || starts("?!") || starts("?>") {
        return &body[2..];
    }
    if starts("?<=") || starts("?<!") {
        return &body[3..];
    }
    if starts("?<") {
        if let Some(close) = body.iter().position(|&c| c == '>').filter(|&i| i > 1) {
            return &body[close + 1..];
        }
    }
    body
}

/// The top-level `|` branches of a group's body (none when it has no alternation).
fn split_top_level_alternation(body: &[char]) -> Vec<&[char]> {
    let mut branches = Vec::new();
    let (mut escaped, mut in_class, mut depth, mut start) = (false, false, 0usize, 0);
    for (i, &c) in body.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if in_class {
            in_class = c != ']';
        } else if c == '[' {
            in_class = true;
        } else if c == '(' {
            depth += 1;
        } else if c == ')' {
            depth = depth.saturating_sub(1);
        } else if c == '|' && depth == 0 {
            branches.push(&body[start..i]);
            start = i + 1;
        }
    }
    if branches.is_empty() {
        return branches;
    }
    branches.push(&body[start..]);
    branches
}

fn has_overlapping_alternation_prefix(body: &[char]) -> bool {
    let branches = split_top_level_alternation(strip_group_prefix(body));
    for (i, left) in branches.iter().enumerate() {
        for right in &branches[i + 1..] {
            if left.is_empty() || right.is_empty() || left.starts_with(right) || right.starts_with(left) {
                return true;
            }
        }
    }
    false
}

struct Group {
    has_quantifier: bool,
    start: usize,
}

fn is_safe(p: &[char]) -> bool {
    let mut groups: Vec<Group> = Vec::new();
    let (mut escaped, mut in_class) = (false, false);
    for (i, &c) in p.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' {
            escaped = true;
            continue;
        }
        if in_class {
            in_class = c != ']';
            continue;
        }
        match c {
            '[' => in_class = true,
            '(' => groups.push(Group {
                has_quantifier: false,
                start: i,
            }),
            ')' => {
                let Some(group) = groups.pop() else { continue };
                if is_quantifier_at(p, i + 1)
                    && (group.has_quantifier || has_overlapping_alternation_prefix(&p[group.start + 1..i]))
                {
                    return false;
                }
                if group.has_quantifier {
                    if let Some(outer) = groups.last_mut() {
                        outer.has_quantifier = true;
                    }
                }
            }
            _ if is_quantifier_char(p, i) => {
                if let Some(group) = groups.last_mut() {
                    group.has_quantifier = true;
                }
            }
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_patterns_pass() {
        for p in [
            r"^a+b*$",
            r"(?:ab)+",
            r"(\d{2,3})-x",
            r"[(+*)]+",
            r"(a|b)+",
            r"(?<year>\d{4})",
        ] {
            assert_eq!(check(p, "gi"), Ok(()), "{p}");
        }
    }

    #[test]
    fn backtracking_prone_patterns_are_refused() {
        for p in [r"(a+)+", r"(a*)*b", r"((ab)+)+", r"(a|aa)+", r"(|a)*", r"(?:x|xy){2,}"] {
            assert_eq!(check(p, ""), Err(RegExpRefusal::Unsafe), "{p}");
        }
    }

    #[test]
    fn flags_and_length() {
        assert_eq!(check("a", "gg"), Err(RegExpRefusal::InvalidFlags));
        assert_eq!(check("a", "x"), Err(RegExpRefusal::InvalidFlags));
        assert_eq!(check("a", "dgimsuy"), Ok(()));
        assert_eq!(check(&"a".repeat(1025), ""), Err(RegExpRefusal::TooLong(1024)));
    }
}
