### Texts of the terminal front end: prompts, status lines, and the errors of --answer mode.

term-intro = activation-check: a few questions about your PC, then an answer card on Windows activation. Your answers are saved, so you can quit and resume later.
term-prompt = Enter 1–{ $count }, b = back, r = start over, q = quit
term-done-prompt = r = start over, b = back, q = quit
term-invalid = “{ $input }” was not understood.
term-resumed = Resuming your unfinished conversation where it stopped.
term-saved-quit = Saved. Run the command again to continue.
term-at-first = You are already at the first question.
term-help-label = Hint
ask-missing-fact = The question “{ $question }” needs a value for { $fact }. Give it with --answer { $fact }=VALUE. Allowed values: { $allowed }
ask-unknown-value = “{ $value }” is not a value of { $fact } (question “{ $question }”). Allowed values: { $allowed }
ask-fact-twice = { $fact } is given twice, as “{ $first }” and as “{ $second }”. Give each fact once.
ask-unknown-fact = { $fact } is not a fact these rules know, so it cannot be used.
ask-did-you-mean = Did you mean { $suggestion }?
ask-known-facts = Known facts: { $known }
term-severity-good = Good news
term-severity-info = For your information
term-severity-caution = Caution
term-severity-danger = Warning
term-fact-ids = A1, B4 and the like number the statements of each source that this card rests on (--format json lists them by source).
term-answers-so-far = Your answers so far:
term-finished-quit = This check is finished. Running the command again starts a new one.
term-interrupted = Interrupted. The answers given so far ({ $answered }) are saved: run the command again to continue at this question.
term-interrupted-finished = Interrupted. This check was finished; running the command again starts a new one.
