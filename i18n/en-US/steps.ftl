### The "What to do" steps of the answer cards. Each step is one or two actionable sentences;
### several are shared by more than one outcome, so each must read right in all of them.
### The standard blocks (phone activation, reaching an operator, call checklist) are only
### referred to here, by their titles.

## Troubleshooter and phone activation

step-run-troubleshooter = If you have not done so yet, open the activation screen in Settings and run the activation troubleshooter.
step-phone-activation-if-needed = If the troubleshooter does not activate Windows, use phone activation with the installation ID: see “Phone activation” below.
step-open-phone-option = Open the activation screen in Settings, choose to activate by phone, and keep the window showing the installation ID open.
step-call-automated-line = Call the number the screen shows, and read the installation ID groups when the automated line asks for them (see “Phone activation” below).
step-enter-confirmation-id = Type the confirmation ID the line gives you back into the activation screen, then check that Windows shows as activated.
step-call-automated-line-while-id-shown = If that does not work, call the automated line while the phone option still shows the installation ID, and read the ID to it (see “Phone activation” below).
step-if-both-fail = If the troubleshooter and the automated phone line both fail, the desk told source B's author that the upgrade right is then gone. Start over and answer “Both failed” to see what remains.

## When the free-upgrade right is lost, or a new license is needed

step-original-os-right = By the desk's answer, what you keep is the right to use the Windows 7 or 8.1 this PC originally had; to keep the upgraded Windows activated, you need a license of its own.
step-buy-license = Buy a new Windows license. Source A's author puts the cost at 12,000–19,000 yen, and notes that switching to Windows 11 instead is often impossible because the hardware does not meet its requirements.
step-second-hand-win10 = A cheaper route source B's author mentions: a Windows 10 license of its own (not a free upgrade) bought second-hand, e.g. at auctions, from about 7,000 yen. Whether it was legitimately transferred is the buyer's own risk, the author warns. As general information: Windows 10 itself reached the end of support on 2025-10-14.

## System backup

step-restore-backup = Restore this PC from the system backup taken while Windows was activated, instead of installing Windows anew.
step-after-restore = After restoring, check in Settings that Windows shows as activated, and keep the backup: you may need it again.
step-backup-before-reinstall = If Windows still starts, take a system backup (an image) now, before reinstalling. Source A's author calls it the only way back if activation then fails.
step-reinstall-then-activate = After reinstalling, connect to the internet and let Windows try to activate automatically; if it does not, run the activation troubleshooter.
step-keep-backup = Even so, keeping a system backup taken while Windows is activated is worthwhile: source A's author calls one essential for free-upgrade PCs.
step-take-backup-now = Take a system backup (an image of the whole Windows drive) now, while Windows is activated, and keep it safe.

## Motherboard repair and the activation desk

step-prepare-repair-details = Before calling, note what the repair replaced (the motherboard, and the CPU if the repair required it), when, and how you use the PC: the desk said such cases depend on the hardware and its use.
step-reach-operator = Call the activation desk and get through to a human operator as described under “Reaching an operator” below. Describe your situation truthfully.
step-explain-repair = Tell the operator that the motherboard was replaced in a repair and Windows now asks to be activated again, and ask whether it can be re-activated. Keep the records listed under “Call checklist” below.
step-get-inquiry-number = If the desk says something can be done, ask before hanging up how to contact them again about it, and get an inquiry (case) number.

## License terms, re-activation triggers, updates

step-check-license-terms = Check what your Windows license terms allow in your situation (for example moving to other hardware, reinstalling, or use in a virtual machine).
step-avoid-triggers = Where you can, avoid what makes Windows ask for re-activation: moving to new hardware, changing parts, reinstalling. Before a feature update, run this check again with “About to install a feature update”.
step-ask-desk-before-update = Before updating, reach an operator at the activation desk (see below). As source B's author suggests, say which Windows yours was upgraded from, and ask whether it would lose its right to use if it needed re-activation and automatic activation failed, and whether that can be prevented.
step-update = Then install the update. If Windows asks to be activated again afterwards, run this check again and choose “Windows asks to be activated again”.

## Hyper-V

step-vm-own-license = If the virtual machine must be activated, plan on a separate Windows license for it that is not a free upgrade, and check that its terms allow use in a virtual machine.
step-vm-try-reuse = Try the existing VHD, expecting that it may not activate: source A's author saw reuse succeed sometimes and fail other times, and could not tell what decides it.

## License origin unknown

step-find-origin = Find out how this PC got Windows: sold with Windows 11, a Windows 10 license of its own, or a free upgrade from Windows 7/8.1. Purchase records or the PC's history may tell you; then start this check over.
