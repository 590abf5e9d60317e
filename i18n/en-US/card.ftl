### The answer card's chrome (section titles, source lines, dates, footer, progress) and its
### standard blocks: phone activation, reaching a person at the desk, general Windows support,
### call checklist, caveat. The standard blocks read the same on every card: keep them short.

## Section titles

card-what-to-do = What to do
card-answers-title = Your answers
card-sources-title = Sources

## Phone activation (D3, D4, A4, A11 steps 1-2)

card-phone-activation-title = Phone activation, step by step
card-phone-activation-body =
    The general procedure:
    1. Press Win+R, type “slui 4” and press Enter.
    2. Choose your country or region: the dialog shows the installation ID and a number to call.
    3. Call that number. In Japan it is the activation desk, { $desk_number }; numbers can change, so check it before calling.
    4. Follow the automated line and read the ID's groups when asked.
    5. Type the confirmation ID it gives you into the dialog.
    The desk told source A's author that the line is an AI voice system and that, depending on how you answer, the call can end. Starting again costs another 10–15 minutes.

## Reaching a person at the desk (A11, A12)

card-reach-operator-title = Reaching a person at the desk
card-reach-operator-body =
    Source A's author describes this way for asking about a motherboard replacement:
    1. Call the activation desk at { $desk_number }. Numbers can change, so check it before calling.
    2. Follow the voice prompts until you are asked for the installation ID.
    3. When asked for the first group, say five digits that are not a valid group (the author's example: 22732).
    4. You are told it is not correct: repeat this about five times.
    5. When offered a person, say yes and stay on the line through the hold music.
    The desk said it accepts only the motherboard case for a consultation. The author urges callers not to claim a motherboard replacement when they changed other parts.

## General Windows support (B9)

card-support-title = General Windows support
card-support-body =
    The desk named these for questions about Windows itself and its installation (source B):
    - Phone: { $support_number } (automated; numbers can change, so check it before calling)
    - Web form: the contact page of Microsoft Support
    Depending on the matter, it may be paid. For anything but a motherboard replacement, start here.

## Call checklist (B8)

card-checklist-title = Call checklist
card-checklist-body =
    Source B's author advises keeping a record of every call:
    - the date and time, the name of the person you spoke to, and what was said (a recording, if you can)
    - before hanging up: how to contact them again about this, and an inquiry (case) number

## Caveat (C1-C4, A13, A14, D6). $when holds the sources' dates and how old they were when the card was made.

card-caveat-title = Please note
card-caveat-body =
    The sources record one person's calls to the activation desk on { $when }: they were spoken, may hold misunderstandings, and Microsoft has announced none of this.
    This card is advice, not Microsoft's official position: only the activation desk decides, and its answers can differ from person to person and over time.

## Source lines and kinds of fact

card-source-line = Source { $id }: { $date }, { $title } ({ $facts })
card-source-line-undated = Source { $id }: { $title } ({ $facts })
# One group of cited facts, such as "the desk said: B2"; groups are joined with the separator
# (kept as a string literal so its spaces survive).
card-fact-group = { $kind }: { $ids }
card-fact-separator = {"; "}
card-kind-desk = the desk said
card-kind-author = the author's view
card-kind-outside = general information
card-kind-note = this bot's principles

## Dates, age and time (computed by the program)

# $month is jan to dec.
card-date = { $month ->
    [jan] January
    [feb] February
    [mar] March
    [apr] April
    [may] May
    [jun] June
    [jul] July
    [aug] August
    [sep] September
    [oct] October
    [nov] November
   *[dec] December
} { $day }, { $year }
# How long before the card was made; $unit picks the wording.
card-age = { $unit ->
    [today] the same day
    [day] 1 day ago
    [days] { $n } days ago
    [month] about 1 month ago
    [months] about { $n } months ago
    [year] about 1 year ago
    [years] about { $n } years ago
    [year-half] about a year and a half ago
   *[years-half] about { $n } and a half years ago
}
# Dates and their age, e.g. "November 28, 2024 and December 6, 2024 (about 2 years ago)".
card-dated = { $dates } ({ $age })
card-and = {" and "}
# The generation time in the terminal. $zone is japan, utc, named ($name is the zone's name) or offset.
card-local-time = { $date }, { $time } ({ $zone ->
    [japan] Japan time
    [utc] UTC
    [named] { $name }, UTC{ $offset }
   *[offset] UTC{ $offset }
})

## A sentence added after the explanation, by the license origin the user chose (D1, A1)

note-win10-support-ended = Support for Windows 10 ended on October 14, 2025 (Microsoft's published dates).
note-win10-support-ended-if-still = If it still runs Windows 10: support for Windows 10 ended on October 14, 2025 (Microsoft's published dates).
note-digital-license = The desk told source A's author that a digital license linked to a Microsoft account does not protect a free upgrade.
note-digital-license-if-free-upgrade = If it is a free upgrade, the desk told source A's author that a digital license linked to a Microsoft account does not protect it.

## Footer and progress

card-generated = Generated { $generated }
card-rules-version = Rules { $version } (to be reviewed by { $review_by })
progress = Question { $number } of at most { $at_most }
