// llmrun's page: summarize and ask about an article with the server that serves this file.
// Plain modern JavaScript, no dependencies; every request goes to this server only.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  model: null,
  apiKey: sessionStorage.getItem("llmrun-api-key") || "",
  sentences: [],      // [{index, text}] of the last summarized article
  articleText: "",    // the text those sentences come from
  chat: [],           // [{role, content}] of the conversation without an article
  summaryAbort: null,
  chatAbort: null,
};

// MARK: - Server calls

function headers() {
  const h = { "Content-Type": "application/json" };
  if (state.apiKey) h.Authorization = `Bearer ${state.apiKey}`;
  return h;
}

/** An Error carrying the server's message, worded for a person. */
async function serverError(response) {
  let message = "";
  try {
    const body = await response.json();
    message = body?.error?.message || "";
  } catch { /* not JSON */ }
  switch (response.status) {
    case 401:
      $("key-form").hidden = false;
      return new Error("The server needs an API key (enter it above).");
    case 413:
      return new Error(`The article is too long for the server's request limit. ${message}`);
    case 503: {
      const retry = response.headers.get("Retry-After");
      if (message.toLowerCase().includes("loading")) return new Error("The model is still loading; try again in a moment.");
      return new Error(`The server is busy${retry ? `; try again in ${retry} s` : ""}. ${message}`);
    }
    default:
      return new Error(message || `The server answered ${response.status} ${response.statusText}.`);
  }
}

/**
 * POSTs `body` and calls `onEvent` with each server-sent event's JSON until `data: [DONE]`.
 * The bytes go through one streaming TextDecoder, so a character split between two network reads
 * (a Chinese character is 3 bytes) is never shown broken.
 */
async function postStream(path, body, signal, onEvent) {
  const json = JSON.stringify(body);
  let response;
  try {
    response = await fetch(path, { method: "POST", headers: headers(), body: json, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    // A server that refuses a large body before reading it may just close the connection.
    if (json.length > 4 << 20) throw new Error("The article is too long for the server's request limit (4 MB by default).");
    throw new Error("Could not reach the server: is `llmrun serve` still running?");
  }
  if (!response.ok) throw await serverError(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
      if (!data) continue;          // a keep-alive comment
      if (data === "[DONE]") return;
      const event = JSON.parse(data);
      if (event.error) throw new Error(event.error.message || "The server reported an error.");
      onEvent(event);
    }
    if (done) return;
  }
}

function showError(error) {
  const box = $("error");
  if (!error) { box.hidden = true; box.textContent = ""; return; }
  box.textContent = error.message || String(error);
  box.hidden = false;
}

function showSpeed(timings) {
  if (!timings) return;
  const parts = [];
  if (timings.prompt_n > 0) parts.push(`prompt ${timings.prompt_per_second.toFixed(1)} tok/s (${timings.prompt_n})`);
  if (timings.predicted_n > 0) parts.push(`generation ${timings.predicted_per_second.toFixed(1)} tok/s (${timings.predicted_n})`);
  $("speed").textContent = parts.length ? `· ${parts.join(" · ")}` : "";
}

async function watchHealth() {
  for (;;) {
    try {
      const health = await fetch("/health");
      if (health.ok) {
        const models = await fetch("/v1/models", { headers: headers() });
        if (models.status === 401) { $("key-form").hidden = false; $("model").textContent = "API key needed"; return; }
        const list = await models.json();
        state.model = list?.data?.[0]?.id || null;
        $("model").textContent = state.model || "ready";
        return;
      }
      $("model").textContent = "model loading…";
    } catch {
      $("model").textContent = "server unreachable, retrying…";
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// MARK: - Citations

/** Appends `text` to `parent`, each `[S#]` (or `[S1, S2]`) turned into links to the cited sentences. */
function appendWithCitations(parent, text) {
  const pattern = /\[S(\d+(?:\s*[,，、]\s*S?\d+)*)\]/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    parent.append(text.slice(last, match.index));
    for (const number of match[1].split(/[^\d]+/).filter(Boolean)) parent.append(citationLink(Number(number)));
    last = match.index + match[0].length;
  }
  parent.append(text.slice(last));
}

function citationLink(number) {
  const link = document.createElement("a");
  link.className = "cite";
  link.href = `#s${number}`;
  link.textContent = `[S${number}]`;
  link.dataset.sentence = String(number);
  link.setAttribute("aria-label", `sentence ${number}`);
  return link;
}

function highlightSentence(number) {
  const target = $(`s${number}`);
  if (!target) return false;
  document.querySelectorAll("#sentences li.highlight").forEach((li) => li.classList.remove("highlight"));
  target.classList.add("highlight");
  target.scrollIntoView({ behavior: "smooth", block: "center" });
  target.focus({ preventScroll: true });
  return true;
}

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a.cite");
  if (!link) return;
  event.preventDefault();
  if (!highlightSentence(link.dataset.sentence)) showError(new Error(`Sentence ${link.dataset.sentence} is not in the article pane.`));
});

// MARK: - Article

function renderArticle(article) {
  state.sentences = article.sentences;
  const list = $("sentences");
  list.replaceChildren();
  // zh-Hant or zh-Hans picks the right CJK glyphs; the summary is written in the article's language.
  list.lang = article.language;
  $("summary").lang = article.language;
  for (const sentence of article.sentences) {
    const li = document.createElement("li");
    li.id = `s${sentence.index}`;
    li.value = sentence.index;
    li.tabIndex = -1;
    li.textContent = sentence.text;
    list.append(li);
  }
  const body = $("cleaning-body");
  body.replaceChildren();
  if (!article.cleaning.length) {
    body.textContent = "Nothing was removed: the text was clean.";
  } else {
    const table = document.createElement("table");
    const columns = ["removed", "places", "characters", "examples"];
    const headings = table.createTHead().insertRow();
    for (const column of columns) headings.append(Object.assign(document.createElement("th"), { textContent: column }));
    const tbody = document.createElement("tbody");
    for (const removal of article.cleaning) {
      const row = tbody.insertRow();
      const cells = columns.map((column) => {
        const cell = row.insertCell();
        cell.dataset.label = column;   // a narrow window shows each row as labelled lines (app.css)
        return cell;
      });
      cells[0].textContent = removal.category;
      cells[1].textContent = removal.spans;
      cells[2].textContent = removal.characters;
      removal.examples.forEach((example, i) => {
        if (i) cells[3].append(", ");
        const code = document.createElement("code");
        code.textContent = JSON.stringify(example);
        cells[3].append(code);
      });
    }
    table.append(tbody);
    body.append(table);
  }
  $("cleaning").querySelector("summary").textContent =
    `Cleaning report (${article.sentences.length} sentences; ${article.cleaning.reduce((n, r) => n + r.characters, 0)} characters removed)`;
  $("sentences-wrap").hidden = false;
}

/**
 * Puts a dropped or chosen file in the article box. UTF-8 first; Chinese pages saved as GB18030/GBK are
 * common, so a file that is not UTF-8 is read as GB18030 when that decodes it cleanly. Anything else
 * (a PDF, an image, a word-processor file) is refused with a message rather than shown as garbage.
 */
async function loadFile(file) {
  if (!file) return;
  showFileNote("");
  const bytes = new Uint8Array(await file.arrayBuffer());
  const decoded = decodeText(bytes);
  if (decoded === null) throw new Error(`“${file.name}” is not a text file; save the article as plain text (.txt) or paste it.`);
  const text = decoded.text.replace(/^\uFEFF/, "");
  $("article").value = text;
  const how = decoded.encoding === "UTF-8" ? "" : `, decoded as ${decoded.encoding}: it was not UTF-8`;
  showFileNote(`Read “${file.name}” (${[...text].length} characters${how}).`);
  showError(null);
  $("article").focus();
}

/** `{text, encoding}`, or null for bytes that are not text in UTF-8 or GB18030. */
function decodeText(bytes) {
  for (const encoding of ["UTF-8", "GB18030"]) {
    let text;
    try { text = new TextDecoder(encoding, { fatal: true }).decode(bytes); } catch { continue; }
    // NUL and the other C0 controls but tab, newlines and form feed do not occur in text files.
    return /[\u0000-\u0008\u000E-\u001F]/.test(text) ? null : { text, encoding };
  }
  return null;
}

function showFileNote(text) {
  $("file-note").textContent = text;
  $("file-note").hidden = !text;
}

// A file dropped anywhere on the page is the article (the browser would otherwise open it in place of
// the page); text dragged within the page drops as usual.
const dropZone = $("drop-zone");
const carriesFiles = (event) => event.dataTransfer?.types?.includes("Files");
["dragenter", "dragover"].forEach((type) => document.addEventListener(type, (event) => {
  if (!carriesFiles(event)) return;
  event.preventDefault();
  dropZone.classList.add("dragging");
}));
document.addEventListener("dragleave", (event) => { if (!event.relatedTarget) dropZone.classList.remove("dragging"); });
document.addEventListener("drop", (event) => {
  dropZone.classList.remove("dragging");
  if (!carriesFiles(event)) return;
  event.preventDefault();
  loadFile(event.dataTransfer.files[0]).catch(showError);
});
$("article").addEventListener("input", () => showFileNote(""));
$("file").addEventListener("change", (event) => loadFile(event.target.files?.[0]).catch(showError));

// MARK: - Summary

/**
 * Enables `stop` while a request runs and `start` otherwise. Focus on the button being disabled moves to
 * the other one, so that a keyboard user can press Stop right after starting, and start again after.
 */
function setRunning(start, stop, running) {
  const [leaving, entering] = running ? [start, stop] : [stop, start];
  const hadFocus = document.activeElement === leaving;
  entering.disabled = false;
  if (hadFocus) entering.focus();
  leaving.disabled = true;
}

function addPoint(point) {
  const li = document.createElement("li");
  li.append(point.text);
  for (const number of point.citations) li.append(" ", citationLink(number));
  $("summary").append(li);
}

async function summarize(event) {
  event.preventDefault();
  const text = $("article").value;
  if (!text.trim()) { showError(new Error("Paste or drop an article first.")); $("article").focus(); return; }
  showError(null);
  state.summaryAbort?.abort();
  const abort = new AbortController();
  state.summaryAbort = abort;
  const draft = $("summary-draft");
  $("summary").replaceChildren();
  draft.textContent = "";
  draft.hidden = false;
  $("summary-step").textContent = "Starting…";
  $("summary-panel").setAttribute("aria-busy", "true");
  setRunning($("summarize"), $("summarize-stop"), true);
  try {
    await postStream("/v1/summarize", { text, length: $("length").value, stream: true }, abort.signal, (e) => {
      if (e.object === "summary") {
        $("summary").replaceChildren();
        e.points.forEach(addPoint);
        $("summary-step").textContent = e.points.length
          ? `${e.points.length} points · ${e.usage.prompt_tokens} prompt + ${e.usage.completion_tokens} generated tokens`
          : "The model gave no usable points; what it wrote is below.";
        showSpeed(e.timings);
      } else if (e.article) {
        state.articleText = text;
        renderArticle(e.article);
      } else if (e.step) {
        draft.textContent = "";
        $("summary-step").textContent = `Writing point ${e.step.part} of ${e.step.parts}…`;
      } else if (e.delta !== undefined) {
        draft.textContent += e.delta;
      } else if (e.point) {
        addPoint(e.point);
      }
    });
    // The raw draft stays only when it is all there is.
    draft.hidden = $("summary").children.length > 0;
  } catch (error) {
    if (error.name === "AbortError") {
      $("summary-step").textContent = "Stopped.";
    } else {
      $("summary-step").textContent = "";
      showError(error);
    }
  } finally {
    if (state.summaryAbort === abort) state.summaryAbort = null;
    $("summary-panel").setAttribute("aria-busy", "false");
    setRunning($("summarize"), $("summarize-stop"), false);
  }
}

$("summarize-form").addEventListener("submit", summarize);
$("summarize-stop").addEventListener("click", () => state.summaryAbort?.abort());

// MARK: - Chat

function addMessage(role, text) {
  const div = document.createElement("div");
  div.className = `message ${role}`;
  div.textContent = text;
  $("chat-log").append(div);
  div.scrollIntoView({ block: "end" });
  return div;
}

/**
 * A question about the article in the box: `/v1/ask` answers from its best passages (as `llmrun ask`
 * does), streaming the answer; then the bubble shows it with the sentences it cites. The citations link
 * to the numbered sentences when the pane shows this same article (the numbering is the same).
 */
async function askArticle(question, bubble, signal) {
  const text = $("article").value;
  let streamed = "";
  let report = null;
  await postStream("/v1/ask", {
    articles: [{ name: "article", text }], question, stream: true,
    ...(state.model ? { model: state.model } : {}),
  }, signal, (e) => {
    if (e.delta !== undefined) {
      streamed += e.delta;
      bubble.textContent = streamed;
      bubble.scrollIntoView({ block: "end" });
    } else if (e.answered !== undefined) {
      report = e;
    }
  });
  if (!report) return streamed;
  bubble.textContent = report.answer;
  const cited = report.answered ? report.citations : (report.closest ? [report.closest] : []);
  if (cited.length) {
    const linked = state.articleText === text;
    const list = document.createElement("ul");
    list.className = "sources";
    list.setAttribute("aria-label", report.answered ? "Cited sentences" : "Closest sentence");
    for (const citation of cited) {
      const li = document.createElement("li");
      const number = Number(citation.id.slice(1));
      li.append(linked ? citationLink(number) : `[${citation.id}]`, " ", citation.sentence);
      list.append(li);
    }
    if (!report.answered) bubble.append(Object.assign(document.createElement("span"), { className: "note", textContent: "closest sentence:" }));
    bubble.append(list);
  }
  return report.answer;
}

/** A question with no article: a chat with the model, the conversation kept. */
async function askModel(question, bubble, signal) {
  state.chat.push({ role: "user", content: question });
  let answer = "";
  let finish = null;
  const maxTokens = Math.max(1, Math.min(4096, parseInt($("max-tokens").value, 10) || 512));
  try {
    await postStream("/v1/chat/completions", {
      messages: state.chat,
      stream: true, stream_options: { include_usage: true }, max_tokens: maxTokens,
      ...(state.model ? { model: state.model } : {}),
    }, signal, (chunk) => {
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) {
        answer += choice.delta.content;
        bubble.textContent = answer;
        bubble.scrollIntoView({ block: "end" });
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.timings) showSpeed(chunk.timings);
    });
    bubble.replaceChildren();
    appendWithCitations(bubble, answer);
    if (finish === "length") note(bubble, "stopped at the token limit");
  } finally {
    // A stopped or failed answer stays in the conversation as far as it went.
    state.chat.push({ role: "assistant", content: answer });
  }
}

async function ask(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question || state.chatAbort) return;
  showError(null);
  $("question").value = "";
  addMessage("user", question);
  const bubble = addMessage("assistant", "");
  bubble.setAttribute("aria-busy", "true");
  const abort = new AbortController();
  state.chatAbort = abort;
  setRunning($("ask"), $("chat-stop"), true);
  try {
    if ($("article").value.trim()) {
      await askArticle(question, bubble, abort.signal);
    } else {
      await askModel(question, bubble, abort.signal);
    }
  } catch (error) {
    if (error.name === "AbortError") {
      note(bubble, "stopped");
      bubble.classList.add("stopped");
    } else {
      note(bubble, "failed");
      showError(error);
    }
  } finally {
    bubble.setAttribute("aria-busy", "false");
    state.chatAbort = null;
    setRunning($("ask"), $("chat-stop"), false);
    // After an answer the next question is typed where the last one was.
    if (document.activeElement === $("ask") || document.activeElement === document.body) $("question").focus();
  }
}

function note(bubble, text) {
  const span = document.createElement("span");
  span.className = "note";
  span.textContent = `(${text})`;
  bubble.append(span);
}

$("chat-form").addEventListener("submit", ask);
$("chat-stop").addEventListener("click", () => state.chatAbort?.abort());
$("chat-clear").addEventListener("click", () => {
  state.chatAbort?.abort();
  state.chat = [];
  $("chat-log").replaceChildren();
});
$("question").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("chat-form").requestSubmit();
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  state.chatAbort?.abort();
  state.summaryAbort?.abort();
});

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.apiKey = $("api-key").value.trim();
  sessionStorage.setItem("llmrun-api-key", state.apiKey);
  $("key-form").hidden = true;
  showError(null);
  watchHealth();
});

watchHealth();
