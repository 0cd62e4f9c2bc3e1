/**
 * The parts of Docker Engine API objects (v1.41) that simulium reads. Declared here rather
 * than taken from @types/dockerode, which types tasks as `any` and misses fields we use.
 */

export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  VolumeOptions?: { Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
}

export interface ApiSecretRef {
  File?: { Name?: string; UID?: string; GID?: string; Mode?: number };
  SecretID?: string;
  SecretName?: string;
}

export interface ApiContainerSpec {
  Image?: string;
  Labels?: Record<string, string>;
  Command?: string[];
  Args?: string[];
  Env?: string[];
  Mounts?: ApiMount[];
  Secrets?: ApiSecretRef[];
  Healthcheck?: ApiHealthcheck;
  /** Nanoseconds between the stop signal and SIGKILL. */
  StopGracePeriod?: number;
  Sysctls?: Record<string, string>;
}

/** Durations in nanoseconds; Test is ["CMD", ...], ["CMD-SHELL", cmd] or ["NONE"]. */
export interface ApiHealthcheck {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export interface ApiUpdateConfig {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: string;
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: string;
}

export interface ApiPort {
  Protocol?: string;
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: string;
}

export interface ApiTaskTemplate {
  ContainerSpec?: ApiContainerSpec;
  Resources?: { Limits?: { NanoCPUs?: number; MemoryBytes?: number }; Reservations?: Record<string, unknown> };
  RestartPolicy?: { Condition?: string; Delay?: number; MaxAttempts?: number; Window?: number };
  Placement?: { Constraints?: string[]; Preferences?: { Spread?: { SpreadDescriptor?: string } }[] } & Record<string, unknown>;
  Networks?: { Target?: string; Aliases?: string[] }[];
  ForceUpdate?: number;
  LogDriver?: { Name: string; Options?: Record<string, string> };
}

export interface ApiServiceSpec {
  Name?: string;
  Labels?: Record<string, string>;
  TaskTemplate?: ApiTaskTemplate;
  Mode?: { Replicated?: { Replicas?: number }; Global?: Record<string, never>; ReplicatedJob?: Record<string, unknown> };
  UpdateConfig?: ApiUpdateConfig;
  RollbackConfig?: ApiUpdateConfig;
  EndpointSpec?: { Mode?: string; Ports?: ApiPort[] };
}

export interface ApiService {
  ID: string;
  Version?: { Index?: number };
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: ApiServiceSpec;
  PreviousSpec?: ApiServiceSpec;
  UpdateStatus?: { State?: string; StartedAt?: string; CompletedAt?: string; Message?: string };
  Endpoint?: { VirtualIPs?: { NetworkID?: string; Addr?: string }[] };
}

export interface ApiTask {
  ID: string;
  ServiceID?: string;
  NodeID?: string;
  Slot?: number;
  DesiredState?: string;
  CreatedAt?: string;
  UpdatedAt?: string;
  /** The service's task template as it was when Swarm made this task. */
  Spec?: ApiTaskTemplate;
  Status?: {
    Timestamp?: string;
    State?: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
  NetworksAttachments?: { Network?: { ID?: string; Spec?: { Name?: string } }; Addresses?: string[] }[];
}

export interface ApiNetwork {
  Id: string;
  Name: string;
  Driver?: string;
  Attachable?: boolean;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: { Subnet?: string }[] };
}

export interface ApiVolume {
  Name: string;
  Driver?: string;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface ApiSecret {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Name?: string; Labels?: Record<string, string> };
}

export interface ApiNode {
  ID: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Description?: { Hostname?: string; Platform?: { OS?: string; Architecture?: string }; Engine?: { Labels?: Record<string, string> } };
  Status?: { Addr?: string; State?: string };
}
