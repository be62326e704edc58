"""back-transcription: the OpenAI-compatible audio path against a local server that receives real WAV bytes,
the quality checks and their reasons, and the offline path (espeak-ng + PocketSphinx) where it is installed."""

from __future__ import annotations

import random
import re
import shutil

import pytest

from judgekit.backends.speech import OfflineSpeech, load_speech, pcm16
from judgekit.data import Example
from judgekit.errors import SpecError
from judgekit.transforms.backtranscription import BackTranscription, pieces
from judgekit.transforms.engine import build_transform, run_transforms, select_transforms
from judgekit.transforms.llm import GenerationFailed
from tests.fake_audio import FakeAudio, encode_wav

ITEMS = [
    Example(id="sleep", prompt="How can I sleep better?",
            chosen=["Keep a regular schedule, even on weekends. Avoid screens for an hour before bed."],
            rejected=["Sleep is a state of rest that people need every night."]),
    Example(id="code", prompt="Double a number in Python.",
            chosen=["Multiply the number by two.\n\n```python\ndef double(x):\n    return x * 2\n```\n\nThat is all."],
            rejected=["Add two to the number, which doubles it."]),
]


def asr(text: str) -> str:
    """A recogniser's transcript: lower case, no punctuation."""
    return re.sub(r"[^\w\s']", "", text).lower()


def rngs(n: int) -> list[random.Random]:
    return [random.Random(i) for i in range(n)]


@pytest.mark.api
def test_responses_go_through_the_audio_endpoints_and_come_back_checked():
    with FakeAudio(hear=asr) as server:
        transform = BackTranscription(speech="openai", base_url=server.base_url, tts_model="tts-x", stt_model="stt-y")
        sleep, code = transform.apply_batch(ITEMS, rngs(2), None)
    assert sleep.chosen == ("keep a regular schedule even on weekends avoid screens for an hour before bed",)
    assert sleep.rejected == ("sleep is a state of rest that people need every night",)
    assert sleep.prompt == ITEMS[0].prompt
    # the code block is kept as it is and never spoken
    assert code.chosen[0] == ("multiply the number by two\n\n```python\ndef double(x):\n    return x * 2\n```"
                              "\n\nthat is all")
    spoken = [e.text for e in server.log if e.path == "speech"]
    assert "def double(x):" not in " ".join(spoken)
    assert spoken[:2] == ["Keep a regular schedule, even on weekends.", "Avoid screens for an hour before bed."]
    heard = [e for e in server.log if e.path == "transcriptions"]
    assert len(heard) == len(spoken) and all(e.riff and e.model == "stt-y" and e.language == "en" for e in heard)
    assert [e.text for e in heard] == spoken  # the server decoded exactly the audio it was sent
    assert heard[0].audio_bytes == len(encode_wav(spoken[0]))
    assert {e.model for e in server.log if e.path == "speech"} == {"tts-x"}
    provenance = sleep.meta["speech"]
    assert provenance["speech"]["stt"] == "stt-y" and provenance["texts"]["chosen[0]"]["similarity"] > 0.7


@pytest.mark.api
def test_transcripts_that_fail_the_checks_are_reported_with_the_reason():
    cases = {
        "similarity": lambda text: "purple elephants dance on the moon tonight" if "Sleep is" in text else asr(text),
        "identical": lambda text: text,
        "length": lambda text: asr(text) + " and so on" * 20,
    }
    for name, hear in cases.items():
        with FakeAudio(hear=hear) as server:
            (out,) = BackTranscription(speech="openai", base_url=server.base_url).apply_batch(ITEMS[:1], rngs(1), None)
        assert isinstance(out, GenerationFailed), name
        reasons = " ".join(out.details.values())
        expected = {"similarity": r"rejected\[0\]", "identical": "identical to the original",
                    "length": "length ratio"}[name]
        assert re.search(expected if name != "similarity" else "similarity 0", reasons), (name, out.details)
        if name == "similarity":
            assert set(out.details) == {"rejected[0]"}


@pytest.mark.api
def test_server_errors_and_silence_are_failures_with_the_message():
    with FakeAudio(hear=asr, fail_speech=10) as server:
        (out,) = BackTranscription(speech="openai", base_url=server.base_url).apply_batch(ITEMS[:1], rngs(1), None)
    assert isinstance(out, GenerationFailed) and "speech endpoint: InternalServerError" in out.reason
    with FakeAudio(hear=lambda text: "") as server:
        (out,) = BackTranscription(speech="openai", base_url=server.base_url).apply_batch(ITEMS[:1], rngs(1), None)
    assert "nothing was recognised" in out.reason


@pytest.mark.api
def test_back_transcription_runs_through_the_engine_and_is_never_selected_by_all():
    assert "back-transcription" not in {t.name for t in select_transforms("all")}
    with FakeAudio(hear=asr) as server:
        transform = build_transform({"name": "back-transcription",
                                     "args": {"speech": "openai", "base_url": server.base_url}})
        outcome = run_transforms(ITEMS, [transform], seed=0)[transform.display_name()]
    assert [e.id for e in outcome.examples] == ["sleep", "code"] and not outcome.failed
    assert all(e.meta["transform"]["args"]["base_url"] == server.base_url for e in outcome.examples)


def test_back_transcription_needs_no_text_backend_in_the_engine():
    with FakeAudio(hear=asr) as server:
        transform = BackTranscription(speech="openai", base_url=server.base_url)
        outcome = run_transforms(ITEMS[:1], [transform])[transform.display_name()]
    assert outcome.examples


def test_arguments_are_checked_before_any_audio():
    with pytest.raises(SpecError, match="speech must be offline or openai"):
        BackTranscription(speech="cloud")
    with pytest.raises(SpecError, match="US-English model only"):
        load_speech("offline", language="de")
    with pytest.raises(SpecError, match="takes"):
        load_speech("openai", colour="red")
    assert pieces("a\n\n```py\nx\n```\nb") == [("a", True), ("\n\n", False), ("```py\nx\n```", False), ("\nb", True)]


def test_audio_is_resampled_to_16_khz_mono():
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(22_050)
        writer.writeframes(b"\x10\x00\x10\x00" * 22_050)  # one second of stereo
    assert len(pcm16(buffer.getvalue())) == 2 * 16_000


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="the offline path needs espeak-ng (apt-get install espeak-ng)")
def test_offline_path_speaks_and_listens_on_this_machine():
    speech = load_speech("offline")
    audio = speech.synthesize("The capital of Australia is Canberra.")
    assert audio[:4] == b"RIFF" and len(audio) > 20_000
    heard = speech.transcribe(audio)
    assert heard and heard == heard.lower()  # PocketSphinx writes lower-case words, no punctuation
    (out,) = BackTranscription(min_similarity=0.0, max_length_ratio=10, min_length_ratio=0.01).apply_batch(
        ITEMS[:1], rngs(1), None)
    assert not isinstance(out, GenerationFailed), getattr(out, "details", None)
    assert out.meta["speech"]["speech"]["tts"].startswith("espeak-ng") and OfflineSpeech().language == "en"
