// One choice of the query model (format, aggregate, status …), as an editor field with its label. Radio buttons, unless the query takes the choice from
// a dashboard variable (the Events dashboard sets $groupBy, $status …): then a box that shows the variable and
// offers the choices and the dashboard's variables, so opening such a panel neither hides nor loses it. On a
// dashboard with variables, a "$" button beside the radio buttons opens that box, the way back to a variable.
import { EditorField } from '@grafana/plugin-ui';
import type { ComboboxOption } from '@grafana/ui';
import { Combobox, IconButton, RadioButtonGroup, Stack } from '@grafana/ui';
import { useEffect, useState } from 'react';
import { variableOptions } from './FilterField';

type Options<T extends string> = Array<ComboboxOption<T>>;

/** No value of the model contains "$" or "[[": one that does refers to a variable ($name, ${name}, [[name]]). */
export const isVariable = (value: string | undefined): boolean => /\$|\[\[/.test(value ?? '');

/** The choices and the dashboard variables matching a search, for a Combobox. */
export function choicesAndVariables<T extends string>(options: Options<T>, search: string): Array<ComboboxOption<string>> {
  const needle = search.toLowerCase();
  const choices = options.filter((o) => (o.label ?? o.value).toLowerCase().includes(needle));
  return [...choices, ...variableOptions(search)];
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
  return (
    <EditorField label={label} tooltip={tooltip} htmlFor={id}>
      <Choice id={id} label={label} {...choice} />
    </EditorField>
  );
}

function Choice<T extends string>({ id, label, options, value, onChange }: Omit<Props<T>, 'tooltip'>) {
  // The box stays open after the "$" button until something is chosen in it.
  const [pickingVariable, setPickingVariable] = useState(false);
  // A choice picked in the box brings the buttons back in its place: the chosen one takes the focus the box had, once.
  const [focusButtons, setFocusButtons] = useState(false);
  useEffect(() => {
    if (focusButtons) setFocusButtons(false);
  }, [focusButtons]);
  if (isVariable(value) || pickingVariable) {
    return (
      <Combobox<string>
        id={id}
        width={20}
        // Opened by the "$" button, which this box replaces: the focus comes here, not to the page's start.
        autoFocus={pickingVariable}
        value={selected(options, value)}
        options={async (search) => choicesAndVariables(options, search)}
        onChange={(option) => {
          setPickingVariable(false);
          setFocusButtons(!isVariable(option.value));
          onChange(option.value as T);
        }}
      />
    );
  }
  const radios = <RadioButtonGroup<T> id={id} aria-label={label} options={options} value={value as T} onChange={onChange} autoFocus={focusButtons} />;
  if (variableOptions('').length === 0) {
    return radios;
  }
  return (
    <Stack direction="row" gap={0.5} alignItems="center">
      {radios}
      <IconButton name="dollar-alt" tooltip={`Use a dashboard variable for ${label}`} onClick={() => setPickingVariable(true)} />
    </Stack>
  );
}
