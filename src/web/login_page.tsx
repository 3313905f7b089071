/** The sign-in form for a service with `httpToken` set: the token once, then a session cookie. */
import { Page } from "./layout.tsx";

export function LoginPage(props: { next: string; problem?: string }) {
  return (
    <Page title="Sign in">
      <p>
        This service asks for its access token (the IT person has it: <code>httpToken</code> in its settings).
      </p>
      {props.problem ? <p class="FAIL" role="alert">{props.problem}</p> : null}
      <form method="post" action="/login">
        <input type="hidden" name="next" value={props.next} />
        {/* Browsers expect a user name beside a password; the service has one user. */}
        <input type="text" name="username" value="lta" autocomplete="username" hidden />
        <label>
          Token <input type="password" name="token" autocomplete="current-password" required autofocus />
        </label>{" "}
        <button type="submit">Sign in</button>
      </form>
    </Page>
  );
}
