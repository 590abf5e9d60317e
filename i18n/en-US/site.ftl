### The static web page of the knowledge (`activation-check site`): its headings, tables and
### the sentences around the cards. The cards themselves use the card's own texts.

site-locale-name = English
site-locale-switch = Language
site-title = What the activation check knows
site-intro = This page shows every question the activation check asks, every answer card it can give and the sources those answers rest on. It is made from the same rules and texts as the Discord bot. It is community advice, not Microsoft's official position.

## The tree

site-tree-title = The questions and answers
site-tree-help = Each box is a question, with the fact it asks for; each arrow is an answer. The coloured boxes are the answer cards, by severity; select one to read it.
site-tree-files = The same picture as a file:

## Outcomes

site-outcomes-title = Answer cards
site-col-card = Card
site-col-verdict = Verdict
site-col-severity = Severity
site-col-paths = Ways to reach it
site-severity-good = good news
site-severity-info = information
site-severity-caution = caution
site-severity-danger = serious

## Sources

site-col-source = Source
site-col-title = What it is
site-col-date = Date
site-col-age = Age
site-col-facts = Facts used
site-undated = undated

## Age of a source, counted to the day this page was made

site-age-today = today
site-age-day = 1 day old
site-age-days = { $n } days old
site-age-month = 1 month old
site-age-months = { $n } months old
site-age-year = about 1 year old
site-age-years = about { $n } years old

## One card's page

site-back = All questions and answer cards
site-card-title = The card as the bot posts it
site-card-note = Shown with the answers of the first way below; the other ways change only “{ $answers }”.
site-paths-title = The answers that lead to this card
site-path-command = The same answers in a terminal:
