/** The acknowledgement form: an assignable cause from the plant's pick list, free text beside it, and who. */

export function AckForm(props: { id: unknown; back: string; causes: string[]; again?: boolean }) {
  return (
    <form method="post" action={`/alarms/${props.id}/ack`} class="ack">
      <input type="hidden" name="back" value={props.back} />
      <CauseSelect causes={props.causes} label="assignable cause" />{" "}
      <input name="note" placeholder="what was found or done" aria-label="note" size={24} />{" "}
      <input name="by" placeholder="your name" required aria-label="acknowledged by" size={12} />{" "}
      <button type="submit">{props.again ? "Correct the cause" : "Acknowledge"}</button>
    </form>
  );
}

/** Resolving: the cause behind the alarm and the corrective action taken, so it does not come back. */
export function ResolveForm(props: { id: unknown; back: string; causes: string[] }) {
  return (
    <form method="post" action={`/alarms/${props.id}/resolve`} class="ack">
      <input type="hidden" name="back" value={props.back} />
      <CauseSelect causes={props.causes} label="cause resolved" />{" "}
      <input
        name="action"
        required
        placeholder="corrective action taken"
        aria-label="corrective action"
        size={28}
      />{" "}
      <input name="by" placeholder="your name" required aria-label="resolved by" size={12} />{" "}
      <button type="submit">Resolve</button>
    </form>
  );
}

/** The plant's pick list of assignable causes (`alarmCauses`), one required. */
function CauseSelect(props: { causes: string[]; label: string }) {
  return (
    <select name="cause" required aria-label={props.label}>
      <option value="">assignable cause…</option>
      {props.causes.map((c) => <option value={c}>{c}</option>)}
    </select>
  );
}
