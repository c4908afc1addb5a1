// One choice of the query model (format, aggregate, status …), as an editor field with its label. Radio buttons, unless the query takes the choice from
// a dashboard variable (the Events dashboard sets $groupBy, $status …): then a box that shows the variable and
// offers the choices and the dashboard's variables, so opening such a panel neither hides nor loses it. On a
// dashboard with variables, a "$" button beside the radio buttons opens that box, the way back to a variable. The
// button stays beside the box it opened, pressed: clicking it again, or Escape in the box, brings the buttons back.
import { CoreApp } from '@grafana/data';
import { EditorField } from '@grafana/plugin-ui';
import type { ComboboxOption } from '@grafana/ui';
import { Combobox, IconButton, RadioButtonGroup, Stack } from '@grafana/ui';
import { useEffect, useRef, useState } from 'react';
import { useVariableOptions, variableOptions } from './FilterField';

type Options<T extends string> = Array<ComboboxOption<T>>;

/** No value of the model contains "$" or "[[": one that does refers to a variable ($name, ${name}, [[name]]). */
export const isVariable = (value: string | undefined): boolean => /\$|\[\[/.test(value ?? '');

/** The choices and the dashboard variables matching a search, for a Combobox (variables: those the editor offers). */
export function choicesAndVariables<T extends string>(
  options: Options<T>,
  search: string,
  variables: (search: string) => Array<ComboboxOption<string>> = variableOptions
): Array<ComboboxOption<string>> {
  const needle = search.toLowerCase();
  const choices = options.filter((o) => (o.label ?? o.value).toLowerCase().includes(needle));
  return [...choices, ...variables(search)];
}

/**
 * The choices where the editor is (app): an alert rule gets none of `lists`, whose answers (the events, the trails, the
 * unreadable files) have no number for it to evaluate. The query's own choice stays, so a rule saved with one shows it.
 */
export function choicesFor<T extends string>(options: Options<T>, app: CoreApp | undefined, lists: ReadonlyArray<NoInfer<T>>, value: string): Options<T> {
  return app === CoreApp.UnifiedAlerting ? options.filter((o) => !lists.includes(o.value) || o.value === value) : options;
}

/** The option for a stored value, so the box shows a label, not the raw value. */
export function selected<T extends string>(options: Options<T>, value: string): ComboboxOption<string> {
  return options.find((o) => o.value === value) ?? { value, label: value };
}

interface Props<T extends string> {
  /** The id the field's label points at (the box has no name of its own). */
  id: string;
  label: string;
  tooltip?: string;
  options: Options<T>;
  value: string;
  // A variable stands for one of the choices; the query model's types cannot say so, hence T.
  onChange: (value: T) => void;
}

export function ChoiceField<T extends string>({ id, label, tooltip, ...choice }: Props<T>) {
  // The box stays open after the "$" button until something is chosen in it, or it is closed (Escape, the button again).
  const [pickingVariable, setPickingVariable] = useState(false);
  // The label names the box, the one control here with an id; a group of radio buttons can have no label element
  // pointing at it (the label would name nothing), so it takes the field's name as its aria-label instead.
  const boxShown = isVariable(choice.value) || pickingVariable;
  return (
    <EditorField label={label} tooltip={tooltip} htmlFor={boxShown ? id : undefined}>
      <Choice boxId={id} label={label} pickingVariable={pickingVariable} setPickingVariable={setPickingVariable} {...choice} />
    </EditorField>
  );
}

interface ChoiceProps<T extends string> extends Omit<Props<T>, 'id' | 'tooltip'> {
  /** Not `id`: the field would take a child's id for its label's, also while the radio buttons show. */
  boxId: string;
  pickingVariable: boolean;
  setPickingVariable: (picking: boolean) => void;
}

function Choice<T extends string>({ boxId: id, label, options, value, onChange, pickingVariable, setPickingVariable }: ChoiceProps<T>) {
  // After the box gives way to the buttons, the focus it had goes to the chosen button (a choice picked in the box)
  // or to the "$" button (the box closed without a choice), once: not to the page's start.
  const [focusAfter, setFocusAfter] = useState<'choice' | 'dollar'>();
  const dollar = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (focusAfter === 'dollar') dollar.current?.focus();
    if (focusAfter) setFocusAfter(undefined);
  }, [focusAfter]);
  const variableOptionsFor = useVariableOptions();
  const variable = isVariable(value);
  // Opened by the "$" button for a value that is no variable: closing goes back to the buttons, which can show it.
  const closable = pickingVariable && !variable;
  // Whether the box's list is open: Escape then closes only the list (the Combobox stops it there).
  const [listOpen, setListOpen] = useState(false);
  const box = (
    // Escape with the list closed closes the box, the focus going back to the "$" button; stopped here, or Grafana's own
    // Escape (leave the panel editor) would follow. Downshift would clear the box's text on it (a variable kept would
    // look gone), so it is told not to: in the capture phase, before the input's own handler.
    <div
      onKeyDownCapture={(e) => {
        if (e.key !== 'Escape' || listOpen) return;
        (e.nativeEvent as KeyboardEvent & { preventDownshiftDefault?: boolean }).preventDownshiftDefault = true;
        if (closable) {
          e.stopPropagation();
          setPickingVariable(false);
          setFocusAfter('dollar');
        }
      }}
    >
      <Combobox<string>
        id={id}
        width={20}
        // Opened by the "$" button, which stays beside it: the focus comes here, not to the page's start.
        autoFocus={pickingVariable}
        value={selected(options, value)}
        options={async (search) => choicesAndVariables(options, search, variableOptionsFor)}
        onIsOpenChange={setListOpen}
        onChange={(option: ComboboxOption<string> | null) => {
          // Typing over the text can clear downshift's selection (null), whatever the types say: a choice is never
          // cleared, so the query keeps its value until something is picked.
          if (!option) return;
          setPickingVariable(false);
          if (!isVariable(option.value)) setFocusAfter('choice');
          onChange(option.value as T);
        }}
      />
    </div>
  );
  const radios = (
    <RadioButtonGroup<T> aria-label={label} options={options} value={value as T} onChange={onChange} autoFocus={focusAfter === 'choice'} />
  );
  if (!variable && !pickingVariable && variableOptionsFor('').length === 0) {
    return radios;
  }
  // One layout for every state, so the box and the button stay the same elements, and keep the focus, as they change.
  // A variable stays in the box, without the button: the radio buttons cannot show it, so there is nothing to go back to.
  return (
    <Stack direction="row" gap={0.5} alignItems="center">
      {variable || pickingVariable ? box : radios}
      {!variable && (
        <IconButton
          ref={dollar}
          name="dollar-alt"
          tooltip={`Use a dashboard variable for ${label}`}
          aria-pressed={pickingVariable}
          variant={pickingVariable ? 'primary' : 'secondary'}
          onClick={() => setPickingVariable(!pickingVariable)}
        />
      )}
    </Stack>
  );
}
