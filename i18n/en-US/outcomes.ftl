### The verdicts: a one-line headline and a short explanation for each outcome of the rules.
### Every statement names its source and date; the desk's answers, the source author's views
### and general information are kept apart.

## Activation lost, PC sold with Windows 11 (B1, D3)

o-sold-with-win11-headline = Sold with Windows 11: most likely re-activates in the end (troubleshooter, then phone)
o-sold-with-win11-explain =
    Source B's author (2024-12-06) looked at a forum case: activation lost after the 24H2 update, no hardware changed, and the troubleshooter did not help. The author inferred that the PC had been sold with Windows 11 and expected it to re-activate in the end. That is the author's view, not the activation desk's.
    As general information, when online activation fails, the activation screen offers activation by phone, where you read the installation ID to an automated line.

## Windows 11 upgraded free from an own Windows 10 license, ID shown (B2, B4, D3, A1)

o-win10-phone-headline = Re-activation by phone is possible while the installation ID is shown
o-win10-phone-explain =
    In source B, the newer one (2024-12-06), the activation desk told the author that when the original OS was Windows 10 (a Windows 10 license of its own, upgraded free to 11), re-activation by phone is possible, provided the activation screen shows the installation ID. The desk's answers applied whatever made re-activation necessary, an update or a parts change alike.
    Source A (2024-11-28) had been told that free upgrades could not be re-activated by phone at all; this card follows the newer answer.

## Windows 10 on its own license, ID shown (B2, A8, D3, D1)

o-own-win10-phone-headline = Windows 10 on its own license: re-activation by phone is possible while the ID is shown
o-own-win10-phone-explain =
    In source B (2024-12-06) the activation desk told the author that when the original OS was Windows 10, re-activation by phone is possible, provided the activation screen shows the installation ID. In source A (2024-11-28) the desk said that licenses that did not come from the free upgrade can still be moved as their license terms allow, as before.
    As general information, Microsoft's support for Windows 10 ended on 2025-10-14, after both calls.

## Free upgrade from Windows 7/8.1, ID shown, not everything tried yet (B3, B4, D3, A1)

o-win7-8-phone-may-work-headline = Phone re-activation may work while the installation ID is shown, but it is not guaranteed
o-win7-8-phone-may-work-explain =
    In source B, the newer one (2024-12-06), the activation desk told the author that for a free upgrade from Windows 7 or 8.1, re-activation by phone is possible in some cases while the installation ID is shown. If activation then fails through both the troubleshooter and the automated phone line, the desk said, the right to use the upgraded Windows is gone, whatever made re-activation necessary.
    Source A (2024-11-28) had been told that no re-activation was possible; this card follows the newer answer.

## Free upgrade from Windows 7/8.1, no ID or everything failed, no backup (A1, A2, A10, B3, B4, B6)

o-upgrade-right-lost-headline = By the desk's answer, the free-upgrade right is lost; only the original OS's right remains
o-upgrade-right-lost-explain =
    In source B (2024-12-06) the activation desk told the author that for a free upgrade from Windows 7 or 8.1, when the installation ID is not shown, or the troubleshooter and the automated phone line both fail, the right to use the upgraded Windows is gone and only the right to use the original OS remains. This holds whatever the reason, with one exception named: a motherboard repair. In source A (2024-11-28) the desk said the owner then has to buy a new license.
    Source A's author reports that the activation screen then seems to say the activation limit was reached, not that the right has ended.

## A system backup exists: after a lost activation or before a reinstall (A6, A9)

o-restore-backup-headline = Restore the system backup taken on this PC while Windows was activated
o-restore-backup-explain =
    Source A's author (2024-11-28) advises that when a free-upgrade Windows can no longer activate automatically on the same PC, for example after a reinstall, restoring a system backup taken while it was activated is the only way to avoid buying a new license. The author also notes that an activated free-upgrade Windows keeps working as long as it never needs re-activation.
    So whether you have already lost activation or are planning a reinstall, this card suggests going back to that backup rather than installing anew.

## Reinstalling a free upgrade without a backup (A5, A6, B3, B4, D3)

o-reinstall-at-risk-headline = Risky: a reinstalled free-upgrade Windows keeps working only if it activates again
o-reinstall-at-risk-explain =
    In source A (2024-11-28) the activation desk said that reinstalling a free-upgrade Windows on the same PC ends in buying a new license when automatic activation then fails. Source B, the newer one (2024-12-06), was less absolute: while the installation ID is shown, the troubleshooter or the automated phone line may still activate it; if they fail, the upgrade right is gone.
    Source A's author advises that a system backup taken while activated is the only way around this: take one before reinstalling, if Windows still starts.

## Motherboard replaced in a repair, free upgrade (A3, A4, A11, A12, B4)

o-motherboard-operator-headline = Motherboard replaced in a repair: ask a human operator at the activation desk (not guaranteed)
o-motherboard-operator-explain =
    In source A (2024-11-28) the activation desk said a motherboard replacement, for example in a repair, is the one case in which you may talk to an operator; re-activation is still not guaranteed, and any other reason is refused. In source B (2024-12-06) the desk said a motherboard repair, with a CPU replacement the repair required, is decided case by case, depending on the hardware and how the PC is used.
    Source B's author thinks relief is available only in very limited cases. The desk's phone line is an AI voice system: see below for the author's way to reach a person.

## Not a free upgrade (A8)

o-own-license-terms-headline = Not a free upgrade: your license terms decide, as before
o-own-license-terms-explain =
    In source A (2024-11-28) the activation desk said that Windows licenses that did not come from the free upgrade can still be moved, and so on, as their license terms allow, just as before. The strict answers in the sources concern free-upgrade Windows.
    So in your case, what your own license terms allow is what counts.

## Free upgrade moving to a new PC (A2, A5, B6)

o-new-pc-new-license-headline = Free upgrade moving to a new PC: by source A, a new license is needed
o-new-pc-new-license-explain =
    In source A (2024-11-28) the activation desk said that a free-upgrade Windows cannot be re-activated on new hardware, even when the Windows it was upgraded from was a retail package: the only way is to buy a license.
    Source B (2024-12-06) does not address moving to a new PC, so on this point the card follows source A.

## Free upgrade, activated now (A9, A6, A5)

o-keep-and-back-up-headline = Activated now: keep it as it is, and take a system backup now
o-keep-and-back-up-explain =
    Source A's author (2024-11-28) notes that a free-upgrade Windows activated today keeps working as long as it never needs re-activation. The risk is whatever makes it ask again: the desk told the same author that moving to new hardware, or reinstalling when automatic activation then fails, ends in buying a new license (the newer source B softened the reinstall case while the installation ID is shown).
    The author advises taking a system backup while activated, before any trouble: on the same PC, restoring it is the only way around that.

## Free upgrade, about to install a feature update (A6, B5, B7, B8, D2)

o-update-high-risk-headline = Free upgrade about to update: high risk. Take a backup and ask the desk first
o-update-high-risk-explain =
    After a forum user lost activation with the 24H2 update, source B's author (2024-12-06) judged that updating carried great danger for free-upgrade Windows not yet on 24H2, since the desk had said the upgrade right is lost if re-activation then fails. The author advised staying on 23H2 until its support ended; as general information, support for 23H2 (Home/Pro) ended on 2025-11-11 and for 24H2 on 2026-10-13, so that advice no longer applies.
    What remains of the author's advice: a system backup, and asking the desk before updating. The desk told the author such cases are handled individually.

## Not a free upgrade, about to install a feature update (A6, B1, B2, D2)

o-update-normal-risk-headline = Not a free upgrade: the usual risk. Take a backup, then update
o-update-normal-risk-explain =
    The sources' warnings concern free-upgrade Windows. For a PC sold with Windows 11, source B's author (2024-12-06) expected a forum PC that lost activation after 24H2 to re-activate in the end; for an original Windows 10, the desk told the author that re-activation by phone is possible while the installation ID is shown. Source A's author still advises a system backup taken while activated.
    As general information, support for 23H2 (Home/Pro) ended on 2025-11-11 and for 24H2 on 2026-10-13.

## Hyper-V on a free-upgrade license (A7)

o-vm-new-fails-headline = New Hyper-V VM on a free-upgrade license: the source's author reports it fails
o-vm-new-fails-explain =
    Source A's author (2024-11-28) reports that Windows under Hyper-V on a free-upgrade license fails to activate in a newly created virtual machine. This is the author's own observation, not something the activation desk stated.

o-vm-reuse-uncertain-headline = Reused VHD on a free-upgrade license: it may or may not activate
o-vm-reuse-uncertain-explain =
    Source A's author (2024-11-28) reports that when an existing VHD is reused under Hyper-V on a free-upgrade license, activation sometimes fails and sometimes goes through, and that what decides it is unknown. This is the author's observation, not the activation desk's, so there is no telling in advance which it will be.

## The facts given do not decide it: ask the desk (C1, B2, B7, B8, A11, A12)

o-origin-unknown-headline = License origin unknown: this card can't decide. Find out, or ask the activation desk
o-origin-unknown-explain =
    What applies depends on how this PC got its Windows license: the sources treat free upgrades much more strictly than other licenses. As source B's author stresses, only Microsoft's activation desk decides in activation trouble; this card is advice.
    The author (2024-12-06) advises asking the desk yourself, reaching an operator as described below, and keeping a record of the call. Note that in source A (2024-11-28) the desk said it accepts only the motherboard case for a consultation, so an operator may not take up other questions.

o-no-id-ask-desk-headline = No installation ID shown: the desk's condition is not met. Ask the activation desk
o-no-id-ask-desk-explain =
    In source B (2024-12-06) the activation desk said that when the original OS was Windows 10, re-activation by phone is possible provided the activation screen shows the installation ID. The sources do not say what happens without it, and as source B's author stresses, only the activation desk decides.
    The author advises asking the desk yourself, reaching an operator as described below, and recording the call. In source A (2024-11-28) the desk said it accepts only the motherboard case for a consultation: describe your situation truthfully.
