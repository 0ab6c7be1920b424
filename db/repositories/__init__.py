"""One module per aggregate: the SQL the workflows run, in a boring vocabulary (get, list,
add, and a few verbs more); workflows hold the rules and no SQL."""
