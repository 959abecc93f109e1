// Calls each worker service from the home page, through the gateway, and shows what it
// answers. The browser sends the session cookie; the gateway asks the web app who that
// is, and for the POST also checks the page's CSRF token (the X-CSRFToken header).
"use strict";

const csrfToken = () => document.querySelector("input[name=csrfmiddlewaretoken]").value;

const calls = {
  whoami: (service) => fetch(`/api/${service}/whoami`, { credentials: "same-origin" }),
  echo: (service) =>
    fetch(`/api/${service}/echo`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ message: `Hello, ${service}!`, sentAt: new Date().toISOString() }),
    }),
};

function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

for (const worker of document.querySelectorAll("[data-worker]")) {
  const output = worker.querySelector("[data-output]");
  for (const button of worker.querySelectorAll("[data-call]")) {
    button.addEventListener("click", async () => {
      output.textContent = "...";
      try {
        const response = await calls[button.dataset.call](worker.dataset.worker);
        output.textContent = `${response.status} ${response.statusText}\n${pretty(await response.text())}`;
      } catch (error) {
        output.textContent = `The request failed: ${error}`;
      }
    });
  }
}
