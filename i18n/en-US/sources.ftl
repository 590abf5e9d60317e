### Short titles of the sources the answer cards cite (their dates are shown separately).

source-a = Blog author's call to Microsoft's phone activation desk on free-upgrade re-activation
source-b = Same author's 09:00 call to the activation desk after a user lost activation with 24H2
source-c = This bot's own caveat and principles
source-d = General information from outside the two articles: support end dates, phone activation
