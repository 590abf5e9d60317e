### Questions the bot asks about the user's PC, their hints, and the labels of the answer
### buttons (value-<fact>-<value>). Labels are button texts: keep them short.

## What brings the user here

q-concern = What brings you here? Choose the closest match.
value-concern-lost-activation = Windows asks to be activated again
value-concern-planning-update = About to install a feature update (e.g. 24H2)
value-concern-hardware-change = Replaced parts, or moving to another PC
value-concern-reinstall = Reinstalling Windows on the same PC
value-concern-virtual-machine = Windows in a Hyper-V virtual machine
value-concern-check-risk = Activated now: what could make me lose it?

## Where the Windows license came from

q-license-origin = How did this PC get its Windows license?
q-license-origin-help =
    “Came with Windows 11”: the PC was sold with Windows 11, or you bought a Windows 11 license.
    “Own Windows 10 license”: the PC was sold with Windows 10, or you bought a Windows 10 license. Then pick whether it still runs Windows 10 or was upgraded free to Windows 11.
    “Upgraded free from Windows 7/8.1”: the PC first ran Windows 7 or 8.1 and was upgraded free to Windows 10 or 11.
    If you can't tell, choose “I don't know”.
value-license-origin-preinstalled-win11 = Came with Windows 11
value-license-origin-native-win10 = Own Windows 10 license, still on 10
value-license-origin-free-upgrade-win10 = Own Windows 10 license, upgraded free to 11
value-license-origin-free-upgrade-win7-8 = Upgraded free from Windows 7/8.1
value-license-origin-unknown = I don't know

## Installation ID in the phone option

q-installation-id = In the activation screen, when you choose to activate by phone, is an installation ID shown as groups of digits?
q-installation-id-help =
    Open Settings > System > Activation (on Windows 10: Settings > Update & Security > Activation) and look for the option to activate by phone.
    All that matters is whether an installation ID appears there, split into groups of digits. There is no need to count the digits.
value-installation-id-shown-yes = Yes, an installation ID is shown
value-installation-id-shown-no = No, none is shown

## Troubleshooter and automated phone line

q-self-service = Have you tried the activation troubleshooter and the automated phone line?
value-self-service-activation-not-tried = Not yet
value-self-service-activation-troubleshooter-failed = Troubleshooter failed; phone not tried yet
value-self-service-activation-all-failed = Both failed

## System backup

q-system-backup = Do you have a system backup (an image) of this PC, taken while Windows was activated?
q-system-backup-help =
    This means an image of the whole Windows drive that you can restore, made on this PC at a time when Windows showed as activated. Copies of your own files (documents, photos) do not count.
value-system-backup-yes = Yes
value-system-backup-no = No

## Hardware change

q-hardware-change = What has changed, or is about to change?
value-hardware-change-motherboard-repair = Motherboard replaced in a repair (and CPU, if needed)
value-hardware-change-other-parts = Other parts (incl. a motherboard swap not for a repair)
value-hardware-change-new-pc = Moving to a new PC

## Hyper-V

q-vm-disk = Are you creating a new virtual machine, or reusing an existing virtual disk (VHD)?
value-vm-disk-new-vm = New virtual machine
value-vm-disk-reused-vhd = Reusing an existing VHD
