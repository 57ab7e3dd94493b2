package config

import (
	"os"
	"strconv"
	"testing"

	"gopkg.in/yaml.v3"
)

// k8sJob is the part of a Job (or a CronJob's jobTemplate) the tests check.
type k8sJob struct {
	Kind string `yaml:"kind"`
	Spec struct {
		CompletionMode       string `yaml:"completionMode"`
		Completions          int    `yaml:"completions"`
		Parallelism          int    `yaml:"parallelism"`
		BackoffLimitPerIndex *int   `yaml:"backoffLimitPerIndex"`
		PodFailurePolicy     struct {
			Rules []struct {
				Action      string `yaml:"action"`
				OnExitCodes struct {
					ContainerName string `yaml:"containerName"`
					Values        []int  `yaml:"values"`
				} `yaml:"onExitCodes"`
			} `yaml:"rules"`
		} `yaml:"podFailurePolicy"`
		JobTemplate struct {
			Spec struct {
				Template podTemplate `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
		Template podTemplate `yaml:"template"`
	} `yaml:"spec"`
}

type podTemplate struct {
	Spec struct {
		RestartPolicy string `yaml:"restartPolicy"`
		Containers    []struct {
			Name  string   `yaml:"name"`
			Image string   `yaml:"image"`
			Args  []string `yaml:"args"`
			Env   []struct {
				Name      string `yaml:"name"`
				Value     string `yaml:"value"`
				ValueFrom struct {
					FieldRef struct {
						FieldPath string `yaml:"fieldPath"`
					} `yaml:"fieldRef"`
				} `yaml:"valueFrom"`
			} `yaml:"env"`
			VolumeMounts []struct {
				Name      string `yaml:"name"`
				MountPath string `yaml:"mountPath"`
			} `yaml:"volumeMounts"`
		} `yaml:"containers"`
		Volumes []struct {
			Name      string `yaml:"name"`
			ConfigMap struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

func readJob(t *testing.T, path string) k8sJob {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j k8sJob
	if err := yaml.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return j
}

// The Indexed Job runs N shards of `etl run` (completions = parallelism = ETL_SHARDS), each
// knowing its job, with the CronJob's image, config and Secret.
func TestDeployIndexedJob(t *testing.T) {
	j := readJob(t, "../../deploy/kubernetes/indexed-job.yaml")
	cron := readJob(t, "../../deploy/kubernetes/cronjob.yaml").Spec.JobTemplate.Spec.Template
	s := j.Spec
	if j.Kind != "Job" || s.CompletionMode != "Indexed" || s.Completions < 2 || s.Parallelism != s.Completions {
		t.Fatalf("kind %s mode %s completions %d parallelism %d", j.Kind, s.CompletionMode, s.Completions, s.Parallelism)
	}
	if s.BackoffLimitPerIndex == nil || s.Template.Spec.RestartPolicy != "Never" {
		t.Error("a failed shard must be retried alone (backoffLimitPerIndex, restartPolicy Never)")
	}
	actions := map[int]string{}
	for _, r := range s.PodFailurePolicy.Rules {
		for _, v := range r.OnExitCodes.Values {
			actions[v] = r.Action
		}
	}
	if actions[3] != "FailIndex" || actions[2] != "FailJob" {
		t.Errorf("pod failure policy by exit code: %v", actions)
	}
	if len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(s.Template.Spec.Containers))
	}
	c, cc := s.Template.Spec.Containers[0], cron.Spec.Containers[0]
	if c.Name != "etl" || c.Image != cc.Image || len(c.Args) == 0 || c.Args[0] != "run" {
		t.Errorf("container %s image %s args %v (CronJob image %s)", c.Name, c.Image, c.Args, cc.Image)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value + e.ValueFrom.FieldRef.FieldPath
	}
	if n, err := strconv.Atoi(env["ETL_SHARDS"]); err != nil || n != s.Completions {
		t.Errorf("ETL_SHARDS %q, completions %d", env["ETL_SHARDS"], s.Completions)
	}
	if env["ETL_JOB_ID"] != "metadata.labels['batch.kubernetes.io/job-name']" {
		t.Errorf("ETL_JOB_ID from %q", env["ETL_JOB_ID"])
	}
	if _, set := env["JOB_COMPLETION_INDEX"]; set {
		t.Error("JOB_COMPLETION_INDEX is Kubernetes's to set")
	}
	vols := map[string]string{}
	for _, v := range s.Template.Spec.Volumes {
		vols[v.Name] = v.ConfigMap.Name
	}
	cronVols := map[string]string{}
	for _, v := range cron.Spec.Volumes {
		cronVols[v.Name] = v.ConfigMap.Name
	}
	if vols["config"] == "" || vols["config"] != cronVols["config"] {
		t.Errorf("config volume %q, the CronJob's %q", vols["config"], cronVols["config"])
	}
}
