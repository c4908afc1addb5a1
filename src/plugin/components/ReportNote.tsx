// Reports without options of their own say what they return instead.
import { EditorRow } from '@grafana/plugin-ui';
import { Text } from '@grafana/ui';

export function ReportNote({ children }: { children: string }) {
  return (
    <EditorRow>
      <Text color="secondary" italic>
        {children}
      </Text>
    </EditorRow>
  );
}
