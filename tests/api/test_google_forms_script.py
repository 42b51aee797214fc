"""The Apps Script of docs/google-forms.md, run as it is in Node with stand-ins for the Google services
it calls (their documented behaviour: ``Utilities.newBlob(text).getBytes()`` is the UTF-8 bytes as
Java's signed bytes, ``computeHmacSha256Signature(bytes, bytes)`` answers signed bytes), and the
request it makes delivered to the real app: the docs' script, payload and signature are the API's."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_google_forms import FORMS, form_of, surveys_from_forms
from tests.api.test_hostile import snapshot
from tests.api.world import World

DOCS = Path(__file__).resolve().parents[2] / "docs" / "google-forms.md"
NODE = shutil.which("node")

# Google's services as the script sees them; every call it makes is recorded, and `fetch` answers 200.
HARNESS = r"""
const crypto = require('crypto');
const fs = require('fs');
const vm = require('vm');
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const signed = (buffer) => Array.from(buffer, (b) => (b > 127 ? b - 256 : b));
const bytes = (array) => {
  if (!Array.isArray(array) || !array.every((b) => Number.isInteger(b) && b >= -128 && b <= 127)) {
    throw new Error('not a Byte[]: ' + JSON.stringify(array).slice(0, 80));
  }
  return Buffer.from(array.map((b) => b & 0xff));
};
const sent = [];
const itemResponse = (answer) => ({
  getItem: () => ({ getTitle: () => answer.title }),
  getResponse: () => answer.answer,
});
const formResponse = (r) => ({
  getId: () => r.id,
  getTimestamp: () => new Date(r.timestamp),
  getItemResponses: () => r.answers.map(itemResponse),
});
const sandbox = {
  console: { log: () => {}, error: () => {} },
  PropertiesService: {
    getScriptProperties: () => ({ getProperty: (name) => input.properties[name] ?? null }),
  },
  Utilities: {
    newBlob: (text) => {
      if (typeof text !== 'string') throw new Error('newBlob takes a string here');
      return { getBytes: () => signed(Buffer.from(text, 'utf8')) };
    },
    computeHmacSha256Signature: (value, key) =>
      signed(crypto.createHmac('sha256', bytes(key)).update(bytes(value)).digest()),
  },
  UrlFetchApp: {
    fetch: (url, params) => {
      sent.push({
        url, method: params.method, contentType: params.contentType, headers: params.headers,
        muteHttpExceptions: params.muteHttpExceptions, body: bytes(params.payload).toString('base64'),
      });
      return { getResponseCode: () => 200, getContentText: () => '{"status": "stored"}' };
    },
  },
  FormApp: { getActiveForm: () => ({ getResponses: () => input.responses.map(formResponse) }) },
};
vm.createContext(sandbox);
vm.runInContext(input.script, sandbox);
if (input.call === 'onFormSubmit') sandbox.onFormSubmit({ response: formResponse(input.responses[0]) });
else sandbox[input.call]();
process.stdout.write(JSON.stringify(sent));
"""


def the_script() -> str:
    blocks = re.findall(r"```javascript\n(.*?)```", DOCS.read_text(), re.DOTALL)
    assert len(blocks) == 1, "docs/google-forms.md has exactly one script"
    return str(blocks[0])


def run_script(
    call: str, properties: dict[str, str], responses: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    if NODE is None:
        pytest.skip("node is not installed: the docs' Apps Script cannot be run here")
    data = {"script": the_script(), "call": call, "properties": properties, "responses": responses}
    done = subprocess.run(
        [NODE, "-e", HARNESS], input=json.dumps(data), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def response(world: World, response_id: str) -> dict[str, Any]:
    """A form response as Apps Script hands it over: linear-scale answers as text, checkboxes as lists."""
    answers = [
        {"title": "社員番号", "answer": world.own.employee_code},
        {"title": "施術の前後", "answer": "施術前"},
        {"title": "身体の状態", "answer": "8"},
        {"title": "気分", "answer": "５"},
        {"title": "やる気", "answer": "3"},
        {"title": "対人関係", "answer": "5"},
        {"title": "その他の症状", "answer": "0"},
        {"title": "気になる部位", "answer": ["肩", "腰"]},
        {"title": "自由記述", "answer": "よく眠れました。ありがとうございます！"},
    ]
    return {"id": response_id, "timestamp": "2024-04-01T01:30:00.000Z", "answers": answers}


def send(api: Api, request: dict[str, Any]) -> Any:
    assert request["method"] == "post"
    assert request["muteHttpExceptions"] is True
    headers = {"Content-Type": request["contentType"], **request["headers"]}
    return api.client.post(request["url"], content=base64.b64decode(request["body"]), headers=headers)


def test_the_docs_script_delivers_a_response_the_api_stores(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    properties = {"WELLNESS_URL": f"http://testserver{FORMS}/{form_id}", "WELLNESS_SECRET": secret}
    [request] = run_script("onFormSubmit", properties, [response(world, "2_ABaOnud9xYzAbc")])
    assert json.loads(base64.b64decode(request["body"])) == {
        "response_id": "2_ABaOnud9xYzAbc",
        "submitted_at": "2024-04-01T01:30:00.000Z",
        "answers": [{"title": a["title"], "answer": a["answer"]} for a in response(world, "x")["answers"]],
    }
    answer = send(api, request)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["ignored_questions"]) == ("stored", ["気になる部位"])
    [survey] = surveys_from_forms(api, world, world.own)
    assert survey["vas"] == {"physical": 80, "mental": 50, "motivation": 30, "communication": 100, "other": 0}
    assert survey["phase"] == "before"
    assert survey["free_text"] == "よく眠れました。ありがとうございます！"


def test_resend_all_stores_each_response_once(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    properties = {"WELLNESS_URL": f"http://testserver{FORMS}/{form_id}", "WELLNESS_SECRET": secret}
    first = run_script("onFormSubmit", properties, [response(world, "r-1")])
    assert send(api, first[0]).json()["status"] == "stored"
    requests = run_script("resendAll", properties, [response(world, "r-1"), response(world, "r-2")])
    assert [send(api, r).json()["status"] for r in requests] == ["already_stored", "stored"]
    assert sorted(s["response_id"] for s in surveys_from_forms(api, world, world.own)) == ["r-1", "r-2"]


def test_the_script_with_an_old_secret_is_refused(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    assert api.client.post(f"{FORMS}/{form_id}/secret", headers=world.headers("analyst")).status_code == 200
    properties = {"WELLNESS_URL": f"http://testserver{FORMS}/{form_id}", "WELLNESS_SECRET": secret}
    [request] = run_script("onFormSubmit", properties, [response(world, "r-old")])
    before = snapshot(api)
    assert send(api, request).status_code == 401
    assert snapshot(api) == before
