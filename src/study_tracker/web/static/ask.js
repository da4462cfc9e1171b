// Ask page: stream the answer (server-sent events over fetch) instead of reloading the page.
// Without this script the form posts to /ask and the server returns the whole page.
(function () {
  "use strict";
  const form = document.getElementById("ask-form");
  const out = document.getElementById("answer");
  const conversation = document.getElementById("conversation");
  const historyBox = document.getElementById("ask-history");
  if (!form || !out || !window.fetch || !window.TextDecoder) return;
  const MAX_TURNS = 3;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function history() {
    const qs = historyBox.querySelectorAll('input[name="hq"]');
    const as = historyBox.querySelectorAll('input[name="ha"]');
    const qq = historyBox.querySelectorAll('input[name="hquery"]');
    const turns = [];
    qs.forEach(function (q, i) {
      turns.push({ question: q.value, answer: as[i] ? as[i].value : "", query: qq[i] ? qq[i].value : "" });
    });
    return turns;
  }

  // The conversation list shows the turns before the answer on screen, as the server renders it.
  function remember(answer) {
    const before = history();
    if (before.length) showTurn(before[before.length - 1]);
    const turns = before.concat([{ question: answer.question, answer: answer.text, query: answer.query }]);
    historyBox.textContent = "";
    turns.slice(-MAX_TURNS).forEach(function (t) {
      [["hq", t.question], ["ha", t.answer], ["hquery", t.query]].forEach(function (pair) {
        const input = el("input");
        input.type = "hidden";
        input.name = pair[0];
        input.value = pair[1];
        historyBox.appendChild(input);
      });
    });
    form.querySelector('input[name="q"]').placeholder = "Ask a follow-up…";
  }

  function showTurn(t) {
    const turn = el("div", "ask-turn");
    const p = el("p");
    p.appendChild(el("strong", "", "You asked:"));
    p.appendChild(document.createTextNode(" " + t.question));
    turn.appendChild(p);
    const short = t.answer.length > 240 ? t.answer.slice(0, 237) + "..." : t.answer;
    const small = el("p", "muted");
    small.appendChild(el("small", "", short));
    turn.appendChild(small);
    conversation.appendChild(turn);
  }

  function showError(message) {
    out.textContent = "";
    const p = el("p", "errors ask-error", message);
    p.setAttribute("role", "alert");
    out.appendChild(p);
  }

  // Parses "event: x\ndata: {...}\n\n" blocks; calls onEvent with the decoded data.
  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split("\n").filter(function (l) { return l.startsWith("data: "); })
          .map(function (l) { return l.slice(6); }).join("\n");
        if (data) onEvent(JSON.parse(data));
      }
    }
  }

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const input = form.querySelector('input[name="q"]');
    const question = input.value;
    const llmBox = form.querySelector('input[type="checkbox"][name="llm"]');
    const body = { question: question, history: history() };
    if (llmBox) body.llm = llmBox.checked;
    const button = form.querySelector('button[type="submit"]');
    button.setAttribute("aria-busy", "true");
    out.textContent = "";
    const live = el("article", "ask-answer ask-streaming");
    const query = el("p", "muted ask-query");
    const notices = el("div");
    const text = el("p", "ask-text");
    live.append(query, notices, text);
    out.appendChild(live);
    let finished = false;
    try {
      const response = await fetch("/api/ask/stream?html=true", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        const err = await response.json().catch(function () { return {}; });
        showError(err.detail || "The question could not be answered (" + response.status + ").");
        return;
      }
      await readEvents(response, function (event) {
        if (event.type === "query" && event.rewritten) {
          query.textContent = "Searched for: " + event.query;
        } else if (event.type === "sources") {
          if (!text.textContent) text.textContent = "";
          live.dataset.sources = String(event.sources.length);
        } else if (event.type === "notice") {
          notices.appendChild(el("p", "notice ask-notice", event.text));
        } else if (event.type === "delta") {
          text.textContent += event.text;
        } else if (event.type === "done") {
          // The final, checked answer replaces the streamed text (citations, fallback).
          out.innerHTML = event.html;
          remember(event.answer);
          input.value = "";
          finished = true;
        } else if (event.type === "error") {
          showError(event.message);
          finished = true;
        }
      });
      if (!finished) showError("The answer stream stopped early; try again.");
    } catch (e) {
      showError("The server could not be reached: " + e);
    } finally {
      button.removeAttribute("aria-busy");
    }
  });
})();
