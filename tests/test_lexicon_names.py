"""FT503/FT504 term counts leave out terms inside proper names (judged FALSE on DBpedia rows)."""

from ftlint.features.lexicons import builtin_lexicons, count_terms


def test_terms_inside_proper_names_are_not_counted():
    gender = builtin_lexicons()["gender"]
    texts = ["He ate at Burger King on the Isle of Man near Parc des Princes.",
             "The King said she was tired.",
             "Stephen King wrote it; Queen Elizabeth spoke.",
             "my father and his wife"]
    counts = {g: v.tolist() for g, v in count_terms(texts, gender).items()}
    assert counts == {"female": [0, 1, 1, 1], "male": [1, 1, 0, 2]}
