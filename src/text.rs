//! Text layout shared by the reports and the levels' drawings.

/// A paragraph as lines of at most `width` characters, broken at word boundaries (longer
/// words stay whole). A last stretch of at most `keep_tail` characters stays on the line
/// before rather than stand alone.
pub fn wrap(text: &str, width: usize, keep_tail: usize) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut lines = Vec::new();
    let mut line = String::new();
    for (i, word) in words.iter().enumerate() {
        let tail = words[i..]
            .iter()
            .map(|w| w.chars().count() + 1)
            .sum::<usize>()
            - 1;
        if !line.is_empty()
            && line.chars().count() + 1 + word.chars().count() > width
            && tail > keep_tail
        {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
