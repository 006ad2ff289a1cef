"""One submission per form: a second click on "Spara" must not create a duplicate."""
