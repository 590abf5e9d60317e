### Questions the bot asks about the user's PC, their hints, and the labels of the answer
### buttons (value-<fact>-<value>). Labels are button texts: keep them short, the answer itself.
### A hint that quotes a label must quote it exactly as the button shows it
### (`activation-check rules check` checks this).

## What brings the user here

q-concern = What brings you here? Choose the closest match.
value-concern-lost-activation = Windows asks to be activated again
value-concern-planning-update = About to install a feature update (e.g. 25H2)
value-concern-hardware-change = Replaced parts, or moving to another PC
value-concern-reinstall = Reinstalling Windows on the same PC
value-concern-virtual-machine = Windows in a Hyper-V virtual machine
value-concern-check-risk = Activated now: how do I stay safe?

## Where the Windows license came from

q-license-origin = How did this PC get its Windows license?
q-license-origin-help =
    “Came with Windows 11”: the PC was sold with Windows 11, or you bought a Windows 11 license.
    “Came with Windows 10, still on 10”: the PC was sold with Windows 10, or you bought a Windows 10 license, and it still runs Windows 10.
    “Own Windows 10, upgraded free to 11”: that Windows 10 was upgraded to Windows 11 through the free upgrade.
    “Upgraded free from Windows 7/8.1”: the PC first ran Windows 7 or 8.1 and was upgraded free to Windows 10 or 11.
    If you can't tell, choose “I don't know”.
value-license-origin-preinstalled-win11 = Came with Windows 11
value-license-origin-native-win10 = Came with Windows 10, still on 10
value-license-origin-free-upgrade-win10 = Own Windows 10, upgraded free to 11
value-license-origin-free-upgrade-win7-8 = Upgraded free from Windows 7/8.1
value-license-origin-unknown = I don't know

## Installation ID in the phone activation dialog (D4)

q-installation-id = Does the phone activation dialog show an installation ID?
q-installation-id-help =
    Press Win+R, type “slui 4” and press Enter.
    Choose your country or region: the dialog then shows the installation ID in groups of digits.
    The activation page in Settings may show no phone option at all, so look here.
    If the dialog would not open, or you are not sure, choose “Could not check”.
value-installation-id-shown-yes = Yes, it is shown
value-installation-id-shown-no = No, none is shown
value-installation-id-shown-not-checked = Could not check

## Troubleshooter and automated phone line

q-self-service = Have you tried the activation troubleshooter and the automated phone line?
q-self-service-help =
    The troubleshooter is on the activation page in Settings.
    The automated phone line is the number the slui 4 dialog shows.
value-self-service-activation-not-tried = Not yet
value-self-service-activation-troubleshooter-failed = Only the troubleshooter, and it failed
value-self-service-activation-all-failed = Both failed

## System backup

q-system-backup = Do you have a system backup of this PC, taken while Windows was activated?
q-system-backup-help =
    This means an image of the whole Windows drive that you can restore.
    It must have been made on this PC while Windows showed as activated.
    Copies of your own files (documents, photos) do not count.
value-system-backup-yes = Yes
value-system-backup-no = No

## Hardware change

q-hardware-change = What has changed, or is about to change?
q-lost-hardware = Before activation was lost, were parts replaced or Windows moved to another PC?
# The hint of both questions above.
q-hardware-change-help =
    If a repair replaced the CPU as well, still choose “Motherboard replaced in a repair”.
    A motherboard replaced for any other reason, such as an upgrade, counts as “Other parts replaced”.
value-hardware-change-motherboard-repair = Motherboard replaced in a repair
value-hardware-change-other-parts = Other parts replaced
value-hardware-change-new-pc = Moving to a new PC
value-hardware-change-none = Nothing replaced

## Hyper-V

q-vm-disk = Are you creating a new virtual machine, or reusing an existing virtual disk (VHD)?
value-vm-disk-new-vm = New virtual machine
value-vm-disk-reused-vhd = Reusing an existing VHD
