### The "What to do" steps of the answer cards. Each step is one or two actionable sentences;
### several are shared by more than one outcome, so each must read right in all of them.
### The standard blocks (phone activation, reaching a person, general Windows support, call
### checklist) are only referred to here, by their titles.

## Troubleshooter and phone activation

step-run-troubleshooter = Run the activation troubleshooter from the activation page in Settings.
step-phone-activation-if-needed = If Windows is still not activated, follow “Phone activation, step by step” below.
step-phone-activation = Follow “Phone activation, step by step” below and read the installation ID to the automated line.
step-if-automated-line-fails = If the automated line does not activate it either, ask general Windows support at { $support_number }. Check the number before calling.
step-open-slui = Press Win+R, type “slui 4”, choose your country or region, and see whether an installation ID is shown.
step-if-no-id-start-over = If no ID is shown, run this check again and choose “No, none is shown”.
step-automated-line-while-id-shown = If that fails, read the ID to the automated line while it is shown, as in “Phone activation, step by step” below.
step-if-both-fail = If both fail, run this check again and choose “Both failed” to see what is left.

## When the right is lost, or a license is needed

step-buy-license = Buy a new license. Source A's author puts it at 12,000–19,000 yen, and notes that older PCs often do not meet Windows 11's requirements.
step-second-hand-win10 = Source B's author also mentions a second-hand Windows 10 license that is not a free upgrade (Windows 10 is out of support), from about 7,000 yen; whether it was legitimately transferred is the buyer's risk.
step-check-win10-license-terms = Check whether your Windows 10 license terms allow moving it to a new PC.

## System backup

step-restore-backup = Instead of installing Windows anew, restore this PC from the system backup taken while Windows was activated.
step-after-restore = After restoring, check in Settings that Windows shows as activated. Run this check again before installing the feature update again.
step-backup-before-reinstall = If Windows still starts, take a system backup before reinstalling (source A's author calls it the only safeguard).
step-reinstall-then-activate = After reinstalling, connect to the internet and see whether Windows activates by itself. If it does not, run the activation troubleshooter.
step-keep-backup = A system backup taken while Windows is activated is still worth having (source A's author's advice).
step-take-backup-now = Take a system backup (an image of the whole Windows drive) now, while Windows is activated, and keep it safe.

## Motherboard repair and the activation desk

step-prepare-repair-details = Before calling, note what the repair replaced (the motherboard, and the CPU if it was needed), when, and how you use the PC.
step-reach-operator-repair = Reach a person as described under “Reaching a person at the desk” below, say that the motherboard was replaced in a repair, and ask whether Windows can be re-activated.
step-get-inquiry-number = If they say something can be done, ask for an inquiry (case) number before hanging up.

## License terms, re-activation triggers, updates

step-check-license-terms = Check what your license terms allow: moving to other hardware, reinstalling, or use in a virtual machine.
step-avoid-triggers = Avoid what makes Windows ask for re-activation where you can, such as replacing parts or reinstalling. Run this check again before a feature update.
step-ask-before-update = Before updating, ask one of the desks below, saying which Windows yours was upgraded from: would a failed re-activation end the right to use it, and can that be prevented?
step-update = Then update. If Windows asks to be activated again afterwards, run this check again and choose “Windows asks to be activated again”.

## Hyper-V

step-vm-own-license = To run it in a virtual machine, get a separate license that is not a free upgrade, and check that its terms allow use in a virtual machine.
step-vm-try-reuse = Try the existing VHD, knowing that it may not activate.

## When the answers do not decide it

step-find-origin = Find out how this PC got Windows, for example from its purchase records, then run this check again.
step-self-service-first = If activation is lost, run the troubleshooter; if that fails, try the automated phone line from the slui 4 dialog.
step-ask-support-or-desk = If that does not solve it, ask “General Windows support” below. “Reaching a person at the desk” is meant for motherboard replacements.
