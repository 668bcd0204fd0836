"""Assessment (考评) that explains itself: versioned schemes, items over figures, scores with evidence."""
