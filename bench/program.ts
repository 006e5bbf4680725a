/** Program evaluation under Pulumi mocks; filled in once the resource layer exists. */
export function benchProgram(): Promise<string[]> {
  return Promise.resolve(["program under mocks: not measured yet"]);
}
