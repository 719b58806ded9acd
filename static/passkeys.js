// Passkeys: adding one on /account/passkeys, signing in with one on /login, and using one
// as the second step on /login/2fa. Talks JSON to /webauthn/…, with the page's CSRF token
// in X-CSRF-Token. Uses the browser's PublicKeyCredential JSON helpers where present.
(function () {
  "use strict";

  var statusBox = document.getElementById("passkey-status");

  function say(text, isError) {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.className = "passkey-status" + (isError ? " form-error" : "");
  }

  var supported = !!(window.PublicKeyCredential && navigator.credentials && window.fetch);
  if (!supported) {
    say("This browser cannot use passkeys here. Passkeys need a recent browser, and this site over https (or at localhost).", true);
    document.querySelectorAll("#passkey-register button, #passkey-login-button").forEach(function (b) {
      b.disabled = true;
    });
    return;
  }

  function decode(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function encode(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: decode(c.id) }); });
  }

  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      try { return PublicKeyCredential.parseCreationOptionsFromJSON(json); } catch (e) { /* by hand below */ }
    }
    return Object.assign({}, json, {
      challenge: decode(json.challenge),
      user: Object.assign({}, json.user, { id: decode(json.user.id) }),
      excludeCredentials: withIds(json.excludeCredentials)
    });
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      try { return PublicKeyCredential.parseRequestOptionsFromJSON(json); } catch (e) { /* by hand below */ }
    }
    return Object.assign({}, json, {
      challenge: decode(json.challenge),
      allowCredentials: withIds(json.allowCredentials)
    });
  }

  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") {
      try { return credential.toJSON(); } catch (e) { /* by hand below */ }
    }
    var r = credential.response;
    var response = { clientDataJSON: encode(r.clientDataJSON) };
    if (r.attestationObject) response.attestationObject = encode(r.attestationObject);
    if (r.authenticatorData) response.authenticatorData = encode(r.authenticatorData);
    if (r.signature) response.signature = encode(r.signature);
    if (r.userHandle) response.userHandle = encode(r.userHandle);
    if (r.getTransports) response.transports = r.getTransports();
    return {
      id: credential.id,
      rawId: encode(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults()
    };
  }

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) return data;
        if (data.redirect) window.location.assign(data.redirect);
        throw new Error(data.message || "Something went wrong (" + response.status + "). Please try again.");
      });
    });
  }

  function failed(error) {
    if (error && error.name === "AbortError") return;
    if (error && error.name === "NotAllowedError") {
      say("The passkey request was cancelled or timed out.", true);
    } else {
      say((error && error.message) || "The passkey request failed.", true);
    }
  }

  function field(name, root) {
    var input = (root || document).querySelector('[name="' + name + '"]');
    return input ? input.value : "";
  }

  // Adding a passkey.
  var register = document.getElementById("passkey-register");
  if (register) {
    register.addEventListener("submit", function (event) {
      event.preventDefault();
      say("Follow your browser's prompt to create the passkey…");
      post("/webauthn/register/start", {
        name: field("name", register),
        current_password: field("current_password", register)
      })
        .then(function (options) {
          return navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
        })
        .then(function (credential) {
          return post("/webauthn/register/finish", { credential: credentialJSON(credential) });
        })
        .then(function (done) { window.location.assign(done.redirect); })
        .catch(failed);
    });
  }

  // Signing in (on /login), or the second step (on /login/2fa).
  var button = document.getElementById("passkey-login-button");
  if (!button) return;
  var secondFactor = !!document.getElementById("passkey-second-factor");
  var remember = document.getElementById(secondFactor ? "remember_device" : "remember");

  function finish(credential) {
    var body = { credential: credentialJSON(credential), second_factor: secondFactor };
    if (secondFactor) {
      body.remember_device = !!(remember && remember.checked);
    } else {
      body.remember = !!(remember && remember.checked);
      body.next = field("next") || null;
    }
    return post("/webauthn/login/finish", body).then(function (done) { window.location.assign(done.redirect); });
  }

  // Autofill (conditional mediation) on /login: offered passkeys appear in the username
  // field's suggestions. Its challenge is replaced when the button is used.
  var autofill = null;
  var autofillStarted = Promise.resolve();
  if (!secondFactor && PublicKeyCredential.isConditionalMediationAvailable) {
    autofillStarted = PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (!available) return;
      autofill = new AbortController();
      var signal = autofill.signal;
      return post("/webauthn/login/start", {}).then(function (options) {
        // Nobody asked for this one: its failures (no passkey chosen, another origin)
        // stay quiet, but a refusal of a chosen passkey is said.
        navigator.credentials
          .get({ publicKey: requestOptions(options.publicKey), mediation: "conditional", signal: signal })
          .then(function (credential) { return finish(credential).catch(failed); })
          .catch(function () {});
      });
    }).catch(function () { /* the button still works */ });
  }

  button.addEventListener("click", function () {
    if (autofill) autofill.abort();
    say("Follow your browser's prompt to use your passkey…");
    autofillStarted
      .then(function () { return post("/webauthn/login/start", { second_factor: secondFactor }); })
      .then(function (options) { return navigator.credentials.get({ publicKey: requestOptions(options.publicKey) }); })
      .then(finish)
      .catch(failed);
  });
})();
