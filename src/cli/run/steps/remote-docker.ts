import { passed, type StepHandler } from "./step.js";

/** `setup_remote_docker`: nothing to set up; the runner mounts this machine's engine in the job's container. */
export const setupRemoteDocker: StepHandler<"setup_remote_docker"> = {
  name: () => "Setting up remote docker",
  run: () => passed("uses this machine's engine"),
};
