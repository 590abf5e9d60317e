### The verdicts: a short headline and an explanation for each outcome of the rules.
### Every statement says whose it is: the desk's answers ("the desk told the author"), the
### source author's views ("the author thinks / advises"), published information ("Microsoft's
### published dates"). The sources' dates appear in the card's Sources and caveat, not here.

## Activation lost, PC sold with Windows 11 (B1, D3)

o-sold-with-win11-headline = Sold with Windows 11: it should re-activate in the end
o-sold-with-win11-explain =
    Source B's author looked at a case of activation lost after a feature update and expects a PC sold with Windows 11 to re-activate in the end.
    That is the author's view, not the activation desk's answer.

## Own Windows 10 upgraded free to 11, ID shown (B2, D3, A1)

o-win10-phone-headline = Re-activation by phone works while the installation ID is shown
o-win10-phone-explain =
    When the original OS was Windows 10, the desk told source B's author, re-activation by phone is possible provided the installation ID is shown.
    The older source A had been told that free upgrades could not be re-activated; this card follows the newer answer.

## Came with Windows 10, still on 10, ID shown (B2, A8, D3)

o-own-win10-phone-headline = Re-activation by phone works while the ID is shown
o-own-win10-phone-explain =
    When the original OS was Windows 10, the desk told source B's author, re-activation by phone is possible provided the installation ID is shown.
    Licenses that did not come from the free upgrade can still be moved as their terms allow, as before, the desk told source A's author.

## Windows 10 origin, ID not checked (B2, D3, D4)

o-win10-check-id-headline = First check with slui 4 whether the ID is shown
o-win10-check-id-explain =
    Settings may show no phone option at all; the dialog that slui 4 opens tells you whether an installation ID is shown.
    When the original OS was Windows 10, the desk told source B's author, re-activation by phone is possible while the ID is shown.

## Free upgrade from 7/8.1, ID shown, something left to try (B3, B4, D3)

o-win7-8-phone-may-work-headline = Phone re-activation may work while the ID is shown
o-win7-8-phone-may-work-explain =
    The newer source B was told that a free upgrade from Windows 7 or 8.1 can in some cases be re-activated by phone while the installation ID is shown.
    If both the troubleshooter and the automated phone line fail, the right to use the upgraded Windows is gone, the desk said.

## Free upgrade from 7/8.1, ID not checked (B3, B4, D3, D4)

o-win7-8-check-id-headline = Check whether the ID is shown, then try phone activation
o-win7-8-check-id-explain =
    Settings may show no phone option at all.
    For a free upgrade from Windows 7 or 8.1, the desk told source B's author, re-activation by phone is possible in some cases while the ID is shown.

## Free upgrade from 7/8.1, no ID or everything failed (A1, A2, A10, B3, B4, B6)

o-upgrade-right-lost-headline = By the desk's answer, the upgraded Windows can no longer be used
o-upgrade-right-lost-explain =
    When the installation ID is not shown, or the troubleshooter and the automated phone line both fail, only the right to use the original OS remains, the desk told source B's author.
    That answer concerns free upgrades from Windows 7 or 8.1, whatever the reason; the one exception is a motherboard replaced in a repair.
    Source A's author reports that the screen then seems to say the activation limit was reached.

## A system backup exists (A6, A9)

o-restore-backup-headline = Restore the system backup taken while Windows was activated
o-restore-backup-explain =
    Source A's author says that when Windows can no longer activate automatically on the same PC, restoring a backup is the only way to avoid buying a license.
    The author adds that an activated free upgrade keeps working as long as it never needs re-activation.

## Reinstalling a free upgrade from 7/8.1 without a backup (A5, A6, B3, D3)

o-reinstall-at-risk-headline = If it does not activate after a reinstall, the right to use it may be lost
o-reinstall-at-risk-explain =
    The desk told source A's author that reinstalling a free upgrade on the same PC ends in buying a license if automatic activation then fails.
    The newer source B was told that a free upgrade from Windows 7 or 8.1 can in some cases be activated by phone while the installation ID is shown.

## Reinstalling Windows 11 upgraded free from an own Windows 10 (B2, D3, A5, A6)

o-reinstall-win10-origin-headline = After a reinstall, phone activation works while the ID is shown
o-reinstall-win10-origin-explain =
    The older source A had been told that a reinstalled free upgrade must be bought again if automatic activation fails.
    The desk told source B's author that when the original OS was Windows 10, re-activation by phone is possible while the installation ID is shown; this card follows that newer answer.

## Motherboard replaced in a repair (A3, A11, A12, B4)

o-motherboard-operator-headline = Motherboard replaced in a repair: ask a person at the desk
o-motherboard-operator-explain =
    The desk told source A's author that a motherboard replacement is the one case it lets you discuss with a person, and that re-activation is still not guaranteed.
    For free upgrades from Windows 7 or 8.1, source B was told that a motherboard repair (with a CPU the repair required) is decided case by case.
    Source B's author thinks relief comes only in very limited cases.

## Not a free upgrade (A8, A6)

o-own-license-terms-headline = Not a free upgrade: your license terms decide
o-own-license-terms-explain =
    Licenses that did not come from the free upgrade can still be moved and used as their terms allow, as before, the desk told source A's author.
    The strict answers in the sources concern free upgrades only.

## Free upgrade from 7/8.1, moving to a new PC (A2, A5, B6)

o-new-pc-new-license-headline = Moving to a new PC means buying a license
o-new-pc-new-license-explain =
    The desk told source A's author that a free upgrade cannot be re-activated on new hardware, even if the original OS was a retail package.
    The newer source B says nothing about a new PC, so this card follows source A.

## Own Windows 10 upgraded free to 11, moving to a new PC (A2, A5, A8, B6, D1)

o-new-pc-win10-origin-headline = The free upgrade to 11 cannot move to a new PC
o-new-pc-win10-origin-explain =
    The desk told source A's author that a free upgrade cannot be re-activated on new hardware (the newer source B says nothing about this).
    Your own Windows 10 license itself can move as its terms allow, the desk said.
    By Microsoft's published dates, though, Windows 10 support ended on October 14, 2025.

## Activated now: free upgrade from 7/8.1, or origin unknown (A9, A6, B3)

o-keep-and-back-up-headline = Activated now: keep it as it is and take a backup
o-keep-and-back-up-explain =
    Source A's author says that an activated free upgrade keeps working as long as it never needs re-activation.
    For a free upgrade from Windows 7 or 8.1, the desk told source B's author that a failed re-activation ends the right to use it.

## Activated now: own Windows 10 upgraded free to 11 (A9, A6, B2)

o-keep-win10-origin-headline = Activated now: a backup is all you need to add
o-keep-win10-origin-explain =
    Source A's author says that an activated free upgrade keeps working as long as it never needs re-activation.
    When the original OS was Windows 10, the desk told source B's author, re-activation by phone is possible while the installation ID is shown.

## About to update: free upgrade from 7/8.1, or origin unknown (A6, B5, B7, B8, D2, D5)

o-update-high-risk-headline = If the update loses activation, the right to use it may be gone
o-update-high-risk-explain =
    Source B's author warned that updating a free upgrade from Windows 7 or 8.1 carries great danger, and advised staying on an older version.
    By Microsoft's published dates, 23H2 and 24H2 (Home/Pro) are out of support: staying behind means running without security updates.
    The next feature update (such as 25H2 or 26H2) came after the sources' calls.

## About to update: PC sold with Windows 11 (A6, B1, B2, D2, D5)

o-update-normal-risk-headline = The usual risk: take a backup, then update
o-update-normal-risk-explain =
    Source B's author expects a PC sold with Windows 11 that lost activation after a feature update to re-activate in the end.
    Even a free upgrade whose original OS was Windows 10 can be re-activated by phone while the installation ID is shown, the desk told the author.
    The next feature update (such as 25H2 or 26H2) came after the sources' calls; 23H2 and 24H2 (Home/Pro) are out of support by Microsoft's published dates.

## About to update: original OS Windows 10 (A6, B1, B2, D2, D5)

o-update-win10-origin-headline = The usual risk: take a backup before updating
o-update-win10-origin-explain =
    When the original OS was Windows 10, the desk told source B's author, re-activation by phone is possible while the installation ID is shown.
    The same author reports a case of activation lost after a feature update.
    The feature update ahead (such as 25H2 or 26H2) came after the sources' calls; 23H2 and 24H2 (Home/Pro) are out of support by Microsoft's published dates.

## Hyper-V on a free-upgrade license (A7)

o-vm-new-fails-headline = A new virtual machine seems not to activate
o-vm-new-fails-explain =
    Source A's author reports that on a free-upgrade license, a virtual machine newly created in Hyper-V fails to activate.
    This is the author's own observation, not the activation desk's answer.

o-vm-reuse-uncertain-headline = A reused VHD may or may not activate
o-vm-reuse-uncertain-explain =
    Source A's author reports that a reused VHD sometimes activates and sometimes does not, and that what decides it is unknown.
    This is the author's own observation, not the activation desk's answer.

## Your answers do not decide it (C1, B7, B8, B9, D4, A12)

o-origin-unknown-headline = License origin unknown: this card cannot decide
o-origin-unknown-explain =
    The sources treat free upgrades much more strictly than other licenses.
    The answer depends on which yours is, so find that out first, and ask if you cannot.

o-no-id-ask-desk-headline = No installation ID shown: ask for help
o-no-id-ask-desk-explain =
    When the original OS was Windows 10, the desk told source B's author, re-activation by phone is possible provided the installation ID is shown.
    The sources do not say what happens when even the slui 4 dialog shows none; only the activation desk can decide.
