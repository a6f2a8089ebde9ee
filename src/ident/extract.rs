//! Suggests identifiers found in free text (narratives, notes, submissions).
