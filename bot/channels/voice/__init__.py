"""Voice calls through Twilio's Calls API: the reminder read aloud, for patients with aphasia,
poor sight or no smartphone.

A call reads the reminder slowly (SSML `<prosody rate="slow">`) in the patient's language
(nl-BE, fr-BE, en-GB voices), twice with a pause, then asks "press 1 if you measured, 2 to talk
to a nurse" with `<Gather>` (twice, if nothing was pressed). The TwiML is built by the SDK's
`VoiceResponse`, never by string concatenation: the body is data, and a name such as
`</Say><Dial>` is read out as text.

Ceiling `personal`: whoever answers or stands near the phone hears the call, and a voicemail
keeps it, so a reading or a diagnosis (`health`) is never spoken; a reminder with the
patient's name (`personal`) is what an SMS on the same phone would show, and is what the
patient agreed to receive by phone. `public` would leave nothing to say.

Outcomes, from the call's signed status callback (`/webhooks/twilio/voice/status?attempt=N`):
- `completed`, answered by a person (`AnsweredBy` human, unknown or absent) -> `delivered`;
- `completed`, answered by a machine (`AnsweredBy` machine_* or fax) -> `failed`, reason
  `answered-by-machine`: nobody heard it live (a voicemail may hold it, which the ceiling
  allows), so a nurse sees the patient was not reached;
- `busy`, `no-answer`, `failed`, `canceled` -> `failed` with that reason;
- queued, initiated, ringing, in-progress -> no change.
A keypress (the Gather's signed callback, `/webhooks/twilio/voice/gather?attempt=N&lang=xx`:
the language rides in the URL Twilio signs, so the thanks is in the patient's language with no
store look-up) is the patient's reply: 1 "measured", 2 "asks to talk to a nurse", which the
channel flags `attention` for the nurses' queue; it also moves the reminder to `read`. No
urgent notice goes to a nurse by call (`notices` False): a notice has no language to be read in.
Creating a call is not idempotent either: a 5xx or a lost answer is `ambiguous`, and
the call is looked up by recipient and time before anything is sent again.
"""

from bot.channels.voice.channel import VoiceChannel

__all__ = ["VoiceChannel"]
