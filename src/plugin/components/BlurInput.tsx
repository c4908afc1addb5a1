// A text box that reports its value when the user leaves it or presses Enter, so a query does not run on
// every keystroke.
import { Input } from '@grafana/ui';
import { useEffect, useState, type ComponentProps } from 'react';

type Props = Omit<ComponentProps<typeof Input>, 'value' | 'onChange' | 'onBlur'> & {
  value: string;
  onCommit: (value: string) => void;
};

export function BlurInput({ value, onCommit, ...rest }: Props) {
  const [text, setText] = useState(value);
  // Follow outside changes, e.g. a Common Search preset filling the box.
  useEffect(() => setText(value), [value]);
  const commit = () => {
    if (text !== value) {
      onCommit(text);
      // Show what was stored, not what was typed: when the owner keeps the value as it was (a limit of 0 means the
      // default), the box goes back to it; when the value changes, the effect above shows the new one.
      setText(value);
    }
  };
  return (
    <Input
      {...rest}
      value={text}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          commit();
        }
      }}
    />
  );
}
