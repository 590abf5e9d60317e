### The answer card's chrome (section titles, source lines, footer, progress) and its
### standard blocks: phone activation, reaching an operator, call checklist, caveat.

## Section titles

card-what-to-do = What to do
card-answers-title = Your situation
card-sources-title = Sources

## Phone activation (D3, A4, A11 steps 1-2)

card-phone-activation-title = Phone activation
card-phone-activation-body =
    General information, together with how source A's author describes the call:
    1. In the activation screen, choose to activate by phone. It shows the installation ID in groups of digits and a number to call.
    2. Call that number. The activation desk's number is { $desk_number }; numbers can change, so check it is still current before calling.
    3. Follow the voice prompts and read the groups when asked.
    4. Type the confirmation ID you get back into the screen.
    The desk told source A's author that the line is now an AI voice system: depending on how you respond midway, the call can end, and starting again costs another 10–15 minutes.

## Reaching a human operator (A4, A11, A12)

card-reach-operator-title = Reaching an operator
card-reach-operator-body =
    Source A's author's way to reach a person quickly (written for the motherboard case):
    1. Call the activation desk at { $desk_number }. Numbers can change: check it is still current before calling.
    2. Follow the voice prompts until you are asked for the installation ID.
    3. When asked for the first group, say five digits that are not a valid group (the author suggests 22732; a valid group just moves you on).
    4. You are told the number is not correct: repeat this, about five times.
    5. When offered a transfer to an operator, say yes, and stay on the line through the hold music.
    The desk said its line is an AI voice system; without this, the author reports, one pass takes about 15 minutes and a dropped call means starting over.
    The desk said it accepts only the motherboard case for a consultation. The author asks: do not claim a motherboard replacement if you changed other hardware.

## Call checklist (B8)

card-checklist-title = Call checklist
card-checklist-body =
    Source B's author advises keeping a record of every call:
    - the date and time
    - the operator's name
    - what was said
    - a recording of the call, if you can make one
    - before hanging up: how to contact them again about this, and an inquiry (case) number

## Caveat (C1-C4)

card-caveat-title = Please note
card-caveat-body =
    In activation trouble only Microsoft's activation desk decides. This card is community advice, not Microsoft's official position.
    The desk's answers quoted here were given to one person, individually, on the dates listed under Sources. They may not apply to you, or may no longer apply.
    Points given as the author's view are the source author's own, not Microsoft's. If you call the desk, keep your own record of the call.

## Source lines and kinds of fact

card-source-line = **{ $id }** ({ $date }) { $title }: { $facts }
card-source-line-undated = **{ $id }** { $title }: { $facts }
# One group of cited facts, such as "the desk said: B2, B4"; groups are joined with the
# separator (kept as a string literal so its spaces survive).
card-fact-group = { $kind }: { $ids }
card-fact-separator = {"; "}
card-kind-desk = the desk said
card-kind-author = the author's view
card-kind-outside = general information
card-kind-note = this bot's principles

## Footer and progress

card-generated = Generated { $generated }
card-rules-version = Rules { $version } (to be reviewed by { $review_by })
progress = Question { $number } of at most { $at_most }
