"""Google Forms delivering VAS surveys: a signed webhook per form, and the forms' mappings.

``signature`` checks a delivery's headers, ``payload`` reads its body, ``mapping`` turns its answers
into a survey's values (pure, no store), ``surveys`` writes the survey with its delivery record,
``webhook`` is the delivery itself, ``forms`` what analysts manage. The script that sends deliveries
and the set-up are in docs/google-forms.md.
"""
